#!/usr/bin/env bash
# test-timeout: 240
# guest_tsig.sh -- TSIG and NSEC3 in x86_64 spt and hvt images (issue 10,
# docs/DESIGN.md "tsig: Unikernel images"): the guests link Debian's
# BearSSL (its frames read the canary at %fs:0x28 -- the tender's glibc
# TCB under spt, a block platform/hvt/start.c points FS at under hvt --
# and call __memcpy_chk, platform/common/libc/libc_chk.c).  `tibra build`
# makes an image from a service file with an NSEC3-signed zone (tibra key
# generate, dnssec ... nsec3) that allows transfers to the peer, and a
# key: statement; the image runs behind a TAP (tests/net/lib.inc) with
# the key given at run time (--tsig-key), and, on each target:
#   a TSIG-signed AXFR (dig -y) is answered, signed: dig verifies every
#   message's MAC, and the zone arrives whole (SOA first and last);
#   the same AXFR with a wrong secret is refused (BADSIG, no zone);
#   an unsigned query still works;
#   a name that does not exist: NXDOMAIN with its NSEC3 proof (SHA-1
#   hashes computed by the guest: SERVFAIL before BearSSL was linked).
# hvt where /dev/kvm is usable.  Needs root (namespace, TAP); x86_64.
name=guest_tsig
. "$(dirname "$0")/../net/lib.inc"
. "$(dirname "$0")/guest.bash"
net_require
[ "$(uname -m)" = x86_64 ] || skip "TSIG in guests needs x86_64 (no arm64 BearSSL)"
command -v dig >/dev/null || skip "dig not installed (bind9-dnsutils)"
TB="$TIBRA_HOST/tibra"
[ -x "$TB" ] || { echo "FAIL $name: $TB not built"; exit 1; }
LIB=$(dirname "$TB")/../lib/tibra
guest_require
[ -f "$LIB/spt-x86_64/link.txt" ] || skip "no spt library staged"
grep -q 'libbearssl' "$LIB/spt-x86_64/link.txt" ||
    skip "no BearSSL for guests (libbearssl-dev not installed)"
net_setup
W=$(mktemp -d)
trap 'cleanup; rm -rf "$W"' EXIT

mkdir -p "$W/zones" "$W/keys/net"
cat >"$W/zones/example.net.zone" <<'EOF'
$TTL 300
@ SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 300
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.10
a.b.c TXT "empty non-terminals b.c and c"
EOF
"$TB" key generate --algorithm 13 --ksk example.net "$W/keys/net" >/dev/null ||
    fail "key generate"
K=$(printf 'tibra guest tsig test secret, 32' | base64 -w0)
BADK=$(printf 'not the secret of the key k1 ....' | base64 -w0)
printf '%s\n' "$K" >"$W/keys/k1"
chmod 600 "$W/keys/k1"
cat >"$W/ns.conf" <<EOF
service: name g; target spt; memory 32M
         address $IP4/24
zone:    example.net; file zones/example.net.zone; allow-transfer 10.77.0.1
         dnssec keys/net nsec3 iterations 0 salt -
key:     k1; algorithm hmac-sha256; secret-file keys/k1
EOF

for t in $targets; do
    echo "== $t"
    out=$("$TB" build -q --target "$t" -o "$W/g.$t" "$W/ns.conf" 2>&1) ||
        fail "tibra build --target $t: $out"
    grep -q "$K" "$W/g.$t" "$W/g.$t.record" && fail "the secret is in the image"
    tender=$SPT
    [ "$t" = hvt ] && tender=$HVT
    start_echo "$tender" --mem=32 --net:service0=$TAP "$W/g.$t" \
        --tsig-key=k1:hmac-sha256:$K
    grep -q 'TSIG: 1 key' "$ECHO_LOG" || fail "$t: no TSIG key line"
    echo "ok   $t: --tsig-key taken"

    out=$(nsx dig +time=2 +tries=3 @$IP4 -y hmac-sha256:k1:$K example.net AXFR 2>&1)
    printf '%s\n' "$out" | grep -qi 'tsig verify failure\|Transfer failed\|couldn' &&
        fail "$t: signed AXFR: $out"
    n=$(printf '%s\n' "$out" | grep -c 'IN[[:space:]]SOA')
    [ "$n" = 2 ] || fail "$t: signed AXFR: $n SOA records: $out"
    printf '%s\n' "$out" | grep -q 'IN[[:space:]]NSEC3[[:space:]]' ||
        fail "$t: no NSEC3 in the AXFR"
    printf '%s\n' "$out" | grep -q 'ANY[[:space:]]TSIG[[:space:]]hmac-sha256' ||
        fail "$t: the AXFR is not signed: $out"
    echo "ok   $t: TSIG-signed AXFR, verified by dig ($(printf '%s\n' "$out" | grep -c 'IN[[:space:]]') records)"

    out=$(nsx dig +time=2 +tries=2 @$IP4 -y hmac-sha256:k1:$BADK example.net AXFR 2>&1)
    printf '%s\n' "$out" | grep -q 'IN[[:space:]]NS[[:space:]]' &&
        fail "$t: AXFR with a wrong secret gave the zone"
    echo "ok   $t: AXFR with a wrong secret refused"

    out=$(nsx dig +short +time=1 +tries=3 @$IP4 www.example.net A)
    [ "$out" = 192.0.2.10 ] || fail "$t: unsigned query: '$out'"
    echo "ok   $t: unsigned query answered"

    out=$(nsx dig +dnssec +time=1 +tries=3 @$IP4 nope.example.net A)
    printf '%s\n' "$out" | grep -q 'status: NXDOMAIN' ||
        fail "$t: no NXDOMAIN for nope.example.net: $out"
    n=$(printf '%s\n' "$out" | grep -c 'IN[[:space:]]NSEC3[[:space:]]')
    [ "$n" -ge 2 ] || fail "$t: NXDOMAIN with $n NSEC3 records: $out"
    echo "ok   $t: NXDOMAIN with its NSEC3 proof ($n NSEC3)"

    term_echo
    [ "$ECHO_RC" = 0 ] || fail "$t: exit status $ECHO_RC after SIGTERM"
done
echo SUCCESS
