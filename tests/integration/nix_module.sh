#!/usr/bin/env bash
# test-timeout: 240
# nix_module.sh -- the Nix side of issue 9, as far as this machine can
# take it (Debian's nix-bin 2.8; no nixpkgs, no network):
#   - flake.nix and every nix/*.nix parse (nix-instantiate --parse);
#   - nix/module.nix evaluates (nix/tests/eval.nix: a stand-in for
#     nixpkgs' lib, runCommand recorded instead of run) for three
#     instances -- tibra-dnsd with a zone file, an inline zone, transfers,
#     NOTIFY and a key (loaded as a systemd credential, the service file
#     naming its path); examples/ns1-spt.conf declared as an spt instance;
#     an hvt instance through tibra-vmmd on a bridge -- into the expected
#     users, groups, firewall ports, enabled units, and no failed
#     assertion; a zone with neither data nor file fails its assertion;
#   - each instance's units build script, as the module would run it, is
#     run here with this build's tibra: the zones are checked (tibra-dnsd
#     --check, tibra build), the units are written; every unit passes
#     systemd-analyze verify with no output;
#   - the units are those `tibra deploy systemd` writes for the
#     hand-written service file (examples/ns1-spt.conf), line for line
#     but the comment naming the file; and the spt image built from the
#     module's service file is byte for byte examples/ns1-spt.conf's.
# Not run: a real NixOS evaluation, the package build, the image
# function under Nix (docs/deploy.md, "NixOS").
. "$(dirname "$0")/tibra.bash"
tb_setup nix_module "${TIBRA_HOST:-build/host-$(uname -m)}/tibra"
command -v nix-instantiate >/dev/null || skip "nix-instantiate not installed (nix-bin)"
command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed (systemd)"
SRC=${TIBRA_SRC:-$(pwd)}
PREFIX=$(cd "$(dirname "$TB")/.." && pwd)
for f in "$SRC"/flake.nix "$SRC"/nix/*.nix "$SRC"/nix/tests/*.nix; do
    nix-instantiate --parse "$f" >/dev/null 2>"$TMP/err" ||
        fail "$f does not parse: $(cat "$TMP/err")"
done
echo "ok   flake.nix and nix/*.nix parse"

# The evaluation writes store files (builtins.toFile); keep the store's
# owner happy when run as root on a host without a daemon.
export NIX_REMOTE=
nix-instantiate --eval --read-write-mode --strict --json "$SRC/nix/tests/eval.nix" >"$TMP/eval.json" \
    2>"$TMP/err" || fail "nix/tests/eval.nix: $(cat "$TMP/err")"
j() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$TMP/eval.json" "$1"; }
expect "enabled units" "$(j '" ".join(sorted(d["enabled"]))')" "tibra-dns1 tibra-ns1 tibra-ns2 tibra-vmmd"
expect "users" "$(j '" ".join(sorted(d["users"]))')" "tibra-ns1 tibra-vmm"
expect "groups" "$(j '" ".join(sorted(d["groups"]))')" "tibra tibra-ns1 tibra-vmm"
expect "firewall (openFirewall, target unix)" "$(j 'd["allowedUDPPorts"]') $(j 'd["allowedTCPPorts"]')" "[5353] [5353]"
expect "no failed assertion" "$(j 'd["failedAssertions"]')" "[]"
expect "a key reaches the dynamic user as a credential" \
    "$(j 'd["loadCredential"]["tibra-dns1"]')" "['tsig-key:/run/keys/tibra/tsig-key']"
expect_match "the service file names the credential, not the key file" \
    "$(j 'd["instances"]["dns1"]["serviceText"]')" \
    "^key: +tsig-key; algorithm hmac-sha256; secret-file /run/credentials/tibra-dns1.service/tsig-key$"
# A zone with neither data nor file: its assertion fails.
sed "s|zones.\"example.org\".file = zoneDir + \"/example.org.zone\";|zones.\"example.org\".notify = [ ];|
     s|import \./stub-lib.nix|import $SRC/nix/tests/stub-lib.nix|
     s|\.\./\.\./examples/zones|$SRC/examples/zones|
     s|import \.\./|import $SRC/nix/|g" "$SRC/nix/tests/eval.nix" >"$TMP/eval-bad.nix"
bad=$(nix-instantiate --eval --read-write-mode --strict --json "$TMP/eval-bad.nix" 2>&1 |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["failedAssertions"])' 2>&1)
expect_match "a zone without data or file is refused" "$bad" \
    "services.tibra.instances.ns[12].zones.example.org: give data or file"

# Each instance's build script, run as the derivation would.
for n in dns1 ns1 ns2; do
    j "d['instances']['$n']['script']" |
        sed "s|/nix/store/00000000000000000000000000000000-tibra|$PREFIX|g;
             s|/nix/store/00000000000000000000000000000000-iproute2/bin/ip|/usr/bin/ip|g" \
        >"$TMP/$n.sh"
    mkdir -p "$TMP/out-$n"
    (cd "$TMP" && out=$TMP/out-$n PATH="$PREFIX/bin:$PATH" bash -e "$TMP/$n.sh") \
        >"$TMP/$n.log" 2>&1 || fail "$n: the units' build script failed: $(cat "$TMP/$n.log")"
    ls "$TMP/out-$n/lib/systemd/system/"*.service >/dev/null 2>&1 || fail "$n: no units"
done
echo "ok   the build scripts ran: zones checked, images built, units written"
# A zone error fails the build, FILE:LINE, as nsd-checkzone does.
j "d['instances']['ns1']['serviceText']" >"$TMP/bad.conf"
printf '$TTL 300\n@ SOA ns1 hostmaster 1 2 3 4 5\nwww A 300.1.2.3\n' >"$TMP/bad.zone"
sed -i "s|file /nix/store/[^ ]*-example.org.zone|file $TMP/bad.zone|" "$TMP/bad.conf"
out=$("$TB" build "$TMP/bad.conf" -o "$TMP/bad.img" -q 2>&1) && fail "a bad zone was built"
expect_match "a bad zone fails the build with FILE:LINE" "$out" "$TMP/bad.zone:3:"

cp "$SRC/deploy/vmmd/tibra-vmmd.service" "$TMP/out-ns2/lib/systemd/system/"
sed -i "s|/usr/local/bin/|$PREFIX/bin/|" "$TMP/out-ns2/lib/systemd/system/tibra-vmmd.service"
for n in dns1 ns1 ns2; do
    out=$(systemd-analyze verify --man=no --generators=no \
        "$TMP/out-$n/lib/systemd/system/"*.service 2>&1)
    [ -z "$out" ] || fail "$n: systemd-analyze verify: $out"
done
echo "ok   systemd-analyze verify: every unit, no output"

# The module's units = tibra deploy's for the hand-written file.
mkdir -p "$TMP/hand/zones" "$TMP/hand-units"
cp "$SRC/examples/ns1-spt.conf" "$TMP/hand/"
cp "$SRC/examples/zones/example.org.zone" "$TMP/hand/zones/"
"$TB" build "$TMP/hand/ns1-spt.conf" -o "$TMP/hand/ns1.spt" -q || fail "tibra build examples/ns1-spt.conf"
"$TB" deploy systemd "$TMP/hand/ns1-spt.conf" -o "$TMP/hand-units" --prefix "$PREFIX" \
    --image "$TMP/out-ns1/image" --ip /usr/bin/ip >/dev/null 2>&1 || fail "tibra deploy"
for u in tibra-ns1-tap.service tibra-ns1.service; do
    d=$(diff <(grep -v '^#' "$TMP/hand-units/$u") <(grep -v '^#' "$TMP/out-ns1/lib/systemd/system/$u"))
    [ -z "$d" ] || fail "$u differs from tibra deploy's: $d"
done
echo "ok   the module's units are tibra deploy systemd's for examples/ns1-spt.conf"
cmp "$TMP/hand/ns1.spt" "$TMP/out-ns1/image" ||
    fail "the module's spt image differs from tibra build examples/ns1-spt.conf's"
echo "ok   the module's spt image is byte for byte tibra build examples/ns1-spt.conf's ($(sha256sum <"$TMP/hand/ns1.spt" | cut -c1-16)...)"
echo "SUCCESS"
