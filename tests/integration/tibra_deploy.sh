#!/usr/bin/env bash
# test-timeout: 400
# tibra_deploy -- `tibra deploy systemd`: the units it writes for target
# unix (with and without a pidfile), spt and hvt pass `systemd-analyze
# verify` with no message at all (it exits 0 on settings it ignores, so any
# output fails the test; broken units show that the check catches them);
# their settings are the ones docs/deploy.md promises.  Then, as root, in
# a network namespace of its own: the unix unit's ExecStart runs as the
# unit would run it, as far as that can be done without systemd as PID 1
# (another user, CAP_NET_BIND_SERVICE as its only capability, no new
# privileges) on port 53, dig gets answers, the unit's ExecReload reloads
# an edited zone, SIGTERM stops it with status 0; under strace, every
# system call it made is one the unit's SystemCallFilter= allows.
. "$(dirname "$0")/tibra.bash"
TEST_NAME=tibra_deploy
command -v systemd-analyze >/dev/null ||
    skip "systemd-analyze not installed (Debian package systemd)"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
    [ -z "${TIBRA_IN_NETNS:-}" ]; then
    exec unshare -n env TIBRA_IN_NETNS=1 bash "$0" "$@"
fi
tb_setup tibra_deploy "${TIBRA_HOST:-build/host-$(uname -m)}/tibra"
PREFIX=$(cd "$(dirname "$TB")/.." && pwd)
[ -x "$PREFIX/bin/tibra-dnsd" ] || fail "no $PREFIX/bin/tibra-dnsd (make stage)"
tb_tree "$TMP/s"
S=$TMP/s

# verify_unit FILE: systemd-analyze verify of FILE alone (no generators,
# no man pages); succeeds only if it exits 0 and says nothing.
verify_unit() {
    local out rc
    out=$(SYSTEMD_LOG_LEVEL=info SYSTEMD_LOG_COLOR=0 \
        systemd-analyze verify --man=no --generators=no "$1" 2>&1)
    rc=$?
    VERIFY_OUT=$out
    [ $rc = 0 ] && [ -z "$out" ]
}
has() { # LABEL FILE LINE: FILE has the exact line LINE
    grep -qxF -- "$3" "$2" || fail "$1: no line '$3' in $(basename "$2")"
}
hasnt() { # LABEL FILE RE
    ! grep -qE -- "$3" "$2" || fail "$1: $(basename "$2") has /$3/"
}

# ---- target unix ------------------------------------------------------------
out=$("$TB" deploy systemd "$S/ns1.conf" -o "$TMP/u" --prefix "$PREFIX" 2>&1) ||
    fail "deploy unix: $out"
U=$TMP/u/tibra-ns1.service
expect_match "unix: says what it wrote" "$out" "^wrote $U$"
expect_match "unix: prints systemctl" "$out" "systemctl enable --now tibra-ns1.service"
expect_match "unix: prints how to install the service file" "$out" \
    "install -D -m 0644 $S/ns1.conf /etc/tibra/ns1.conf"
expect_match "unix: and the zone" "$out" \
    "install -D -m 0644 $S/zones/example.org.zone /etc/tibra/zones/example.org.zone"
for l in "ExecStart=$PREFIX/bin/tibra-dnsd /etc/tibra/ns1.conf" \
    'ExecReload=/bin/kill -HUP $MAINPID' Type=exec Restart=on-failure \
    ConfigurationDirectory=tibra DynamicUser=yes \
    AmbientCapabilities=CAP_NET_BIND_SERVICE \
    CapabilityBoundingSet=CAP_NET_BIND_SERVICE NoNewPrivileges=yes \
    ProtectSystem=strict ProtectHome=yes PrivateTmp=yes PrivateDevices=yes \
    ProtectKernelTunables=yes ProtectKernelModules=yes ProtectKernelLogs=yes \
    ProtectControlGroups=yes ProtectClock=yes ProtectHostname=yes \
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" RestrictNamespaces=yes \
    LockPersonality=yes MemoryDenyWriteExecute=yes RestrictRealtime=yes \
    RestrictSUIDSGID=yes SystemCallArchitectures=native \
    SystemCallFilter=@system-service "SystemCallFilter=~@privileged @resources"; do
    has unix "$U" "$l"
done
hasnt unix "$U" '^(PIDFile|User)='
echo "ok   unix: the settings docs/deploy.md lists"
verify_unit "$U" || fail "unix: systemd-analyze verify: $VERIFY_OUT"
echo "ok   unix: systemd-analyze verify says nothing"

# A pidfile below /run/DIR/ gives PIDFile= and RuntimeDirectory=DIR.
sed 's|^service: name ns1; target unix|&; pidfile /run/tibra-ns1/ns1.pid|' \
    "$S/ns1.conf" >"$S/ns1-pid.conf"
out=$("$TB" deploy systemd "$S/ns1-pid.conf" -o "$TMP/p" --prefix "$PREFIX" \
    --conf "$S/ns1-pid.conf" 2>&1) || fail "deploy pidfile: $out"
has pidfile "$TMP/p/tibra-ns1.service" "PIDFile=/run/tibra-ns1/ns1.pid"
has pidfile "$TMP/p/tibra-ns1.service" "RuntimeDirectory=tibra-ns1"
has pidfile "$TMP/p/tibra-ns1.service" \
    "ExecStart=$PREFIX/bin/tibra-dnsd $S/ns1-pid.conf"
hasnt pidfile "$TMP/p/tibra-ns1.service" '^ConfigurationDirectory='
verify_unit "$TMP/p/tibra-ns1.service" ||
    fail "pidfile: systemd-analyze verify: $VERIFY_OUT"
echo "ok   pidfile, --conf: PIDFile=, RuntimeDirectory=, verified"

# ---- targets spt and hvt ----------------------------------------------------
LIB=$PREFIX/lib/tibra
for t in spt hvt; do
    img=$S/dist/ns1.$t
    if [ -f "$LIB/$t-$(uname -m)/link.txt" ]; then
        "$TB" build "$S/ns1-spt.conf" --target $t -q || fail "$t: tibra build"
    else # the unit names it; verify does not read it
        mkdir -p "$S/dist" && : >"$img"
    fi
    out=$("$TB" deploy systemd "$S/ns1-spt.conf" --target $t -o "$TMP/$t" \
        --prefix "$PREFIX" 2>&1) || fail "deploy $t: $out"
    G=$TMP/$t/tibra-ns1.service T=$TMP/$t/tibra-ns1-tap.service
    expect_match "$t: says what it wrote" "$out" "wrote $T"
    expect_match "$t: prints systemd-sysusers" "$out" "systemd-sysusers"
    has $t "$G" "ExecStart=$PREFIX/bin/tibra-$t --mem=16 --net:service0=tb-ns1 $img"
    for l in Requires=tibra-ns1-tap.service User=tibra-ns1 \
        CapabilityBoundingSet= NoNewPrivileges=yes ProtectSystem=strict \
        DevicePolicy=closed "DeviceAllow=/dev/net/tun rw" \
        SystemCallFilter=@system-service SystemCallFilter=seccomp; do
        has $t "$G" "$l"
    done
    hasnt $t "$G" '^(DynamicUser|AmbientCapabilities|PrivateDevices)='
    if [ $t = hvt ]; then
        has hvt "$G" "DeviceAllow=/dev/kvm rw"
        has hvt "$G" "SupplementaryGroups=kvm"
        has hvt "$G" "MemoryDenyWriteExecute=yes"
    else
        hasnt spt "$G" 'kvm|MemoryDenyWriteExecute'
    fi
    for l in Type=oneshot RemainAfterExit=yes \
        "ExecStart=$(command -v ip || echo /usr/sbin/ip) tuntap add dev tb-ns1 mode tap user tibra-ns1" \
        "ExecStart=$(command -v ip || echo /usr/sbin/ip) addr add 10.0.0.1/24 dev tb-ns1" \
        "ExecStop=$(command -v ip || echo /usr/sbin/ip) link del tb-ns1"; do
        has "$t tap" "$T" "$l"
    done
    grep -qxF "u tibra-ns1 - \"Tibra unikernel ns1\" /nonexistent" \
        "$TMP/$t/tibra-ns1.sysusers" || fail "$t: sysusers file"
    for f in "$T" "$G"; do
        verify_unit "$f" || fail "$t: systemd-analyze verify $f: $VERIFY_OUT"
    done
    echo "ok   $t: settings; both units pass systemd-analyze verify"
done

# ---- deploy/examples/ are what this tibra writes ------------------------------
if [ "$(command -v ip)" = /usr/sbin/ip ]; then
    (cd "$TIBRA_SRC/examples" &&
        "$TB" deploy systemd ns1.conf -o "$TMP/ex/unix" &&
        "$TB" deploy systemd ns1-spt.conf -o "$TMP/ex/spt" \
            --image /var/lib/tibra/ns1.spt &&
        "$TB" deploy systemd ns1-spt.conf --target hvt -o "$TMP/ex/hvt" \
            --image /var/lib/tibra/ns1.hvt &&
        "$TB" deploy systemd ns1-spt.conf --manager br0 -o "$TMP/ex/manager" \
            --image /var/lib/tibra/ns1.spt) >/dev/null 2>&1 ||
        fail "deploy of examples/ failed"
    d=$(diff -r "$TIBRA_SRC/deploy/examples" "$TMP/ex") ||
        fail "deploy/examples/ differ from what tibra writes (docs/deploy.md says how to regenerate them): $d"
    echo "ok   deploy/examples/ are what tibra deploy writes"
fi

# ---- the check catches broken units ----------------------------------------
mkdir -p "$TMP/bad"
n=0
while IFS= read -r edit; do
    sed "$edit" "$U" >"$TMP/bad/tibra-ns1.service"
    cmp -s "$U" "$TMP/bad/tibra-ns1.service" && fail "broken: '$edit' changed nothing"
    ! verify_unit "$TMP/bad/tibra-ns1.service" ||
        fail "broken unit ($edit) passed verify"
    n=$((n + 1))
done <<'EOF'
s|^ExecStart=[^ ]*|ExecStart=/nonexistent/tibra-dnsd|
s|^ProtectSystem=strict|ProtectSystem=bogus|
s|^NoNewPrivileges=|NoNewPrivilegez=|
s|^SystemCallFilter=@system-service|SystemCallFilter=@no-such-group|
s|^Type=exec|Type=nonsense|
/^ExecStart=/d
s|^\[Service\]|[Servic]|
EOF
echo "ok   $n broken units each fail the check"

# ---- a real run of the unix unit's command line -----------------------------
[ -n "${TIBRA_IN_NETNS:-}" ] || {
    echo "     (not root: no run of the unit's command)"
    exit 0
}
command -v setpriv >/dev/null && command -v dig >/dev/null || {
    echo "     (no setpriv or dig: no run of the unit's command)"
    exit 0
}
ip link set lo up
cat >"$S/ns53.conf" <<'EOF'
service: name ns53; target unix
         listen 127.0.0.1@53; listen ::1@53
zone:    example.org; file zones/example.org.zone
EOF
chmod -R a+rX "$S"
out=$("$TB" deploy systemd "$S/ns53.conf" -o "$TMP/r" --prefix "$PREFIX" \
    --conf "$S/ns53.conf" 2>&1) || fail "deploy ns53: $out"
R=$TMP/r/tibra-ns53.service
verify_unit "$R" || fail "ns53: systemd-analyze verify: $VERIFY_OUT"
# The unit's own command lines, split as systemd splits them (tibra deploy
# writes no quotes).
read -r -a START <<<"$(sed -n 's/^ExecStart=//p' "$R")"
RELOAD=$(sed -n 's/^ExecReload=//p' "$R")
[ -x "${START[0]}" ] || fail "ExecStart ${START[0]} is not a program"
# DynamicUser=, AmbientCapabilities=, CapabilityBoundingSet= and
# NoNewPrivileges= as setpriv can give them: user nobody, whose only
# capability is CAP_NET_BIND_SERVICE, with no_new_privs.
AS_UNIT=(setpriv --reuid=nobody --regid=nogroup --clear-groups
    --inh-caps=-all,+net_bind_service --ambient-caps=-all,+net_bind_service
    --bounding-set=-all,+net_bind_service --no-new-privs)
TRACE=()
command -v strace >/dev/null && TRACE=(strace -f -qq -o "$TMP/trace")
"${TRACE[@]}" "${AS_UNIT[@]}" "${START[@]}" >"$TMP/run.log" 2>&1 &
PID=$!
trap 'kill -KILL $PID 2>/dev/null; rm -rf "$TMP"' EXIT
q=(+time=2 +tries=2 +short)
for _ in $(seq 100); do
    [ -n "$(dig +time=1 +tries=1 +short @127.0.0.1 example.org SOA)" ] && break
    kill -0 $PID 2>/dev/null || fail "it stopped: $(cat "$TMP/run.log")"
    sleep 0.1
done
expect "run: UDP port 53 as nobody with CAP_NET_BIND_SERVICE" \
    "$(dig "${q[@]}" @127.0.0.1 www.example.org A)" "192.0.2.10"
expect "run: TCP IPv6" "$(dig "${q[@]}" +tcp @::1 www.example.org AAAA)" \
    "2001:db8::10"
DPID=$(pgrep -n -u nobody -f "tibra-dnsd $S/ns53.conf") ||
    fail "no tibra-dnsd process of nobody"
grep -q '^CapEff:.*0000000000000400$' "/proc/$DPID/status" ||
    fail "capabilities: $(grep ^Cap "/proc/$DPID/status")"
grep -q '^NoNewPrivs:.*1' "/proc/$DPID/status" || fail "no no_new_privs"
echo "ok   run: tibra-dnsd (pid $DPID) has CAP_NET_BIND_SERVICE only"
# ExecReload=, with $MAINPID as systemd sets it, after a zone edit.
z=$S/zones/example.org.zone
serial=$(dig +short @127.0.0.1 example.org SOA | awk '{print $3}')
[ -n "$serial" ] || fail "no SOA serial"
sed -i "s/\b$serial\b/$((serial + 1))/" "$z"
grep -q "$((serial + 1))" "$z" || fail "could not bump the serial $serial"
echo "reload.example.org. 300 IN A 192.0.2.99" >>"$z"
reload=${RELOAD//\$MAINPID/$DPID}
# shellcheck disable=SC2086
$reload || fail "ExecReload ($reload) failed"
for _ in $(seq 50); do
    [ "$(dig +short @127.0.0.1 reload.example.org A)" = 192.0.2.99 ] && break
    sleep 0.1
done
expect "run: ExecReload reloads the edited zone" \
    "$(dig "${q[@]}" @127.0.0.1 reload.example.org A)" "192.0.2.99"
kill -TERM "$DPID"
wait $PID
expect "run: SIGTERM status" "$?" "0"

if [ ${#TRACE[@]} = 0 ]; then
    echo "     (strace not installed: system calls not checked)"
    exit 0
fi
# Every system call tibra-dnsd made (from setpriv's execve of it on)
# against the unit's filter: @system-service minus @privileged and
# @resources, as this systemd expands them.
expand() { # GROUP: its system calls, nested groups expanded
    systemd-analyze syscall-filter --no-pager "$1" |
        awk 'NR > 1 && NF && $1 !~ /^#/ {print $1}' | while read -r s; do
        case $s in @*) expand "$s" ;; *) echo "$s" ;; esac
    done
}
allowed=$(sed -n 's/^SystemCallFilter=\([^~].*\)/\1/p' "$R")
denied=$(sed -n 's/^SystemCallFilter=~//p' "$R")
for g in $allowed; do expand "$g"; done | sort -u >"$TMP/allowed"
for g in $denied; do expand "$g"; done | sort -u >"$TMP/denied"
comm -23 "$TMP/allowed" "$TMP/denied" >"$TMP/filter"
[ -s "$TMP/filter" ] || fail "the filter expands to nothing"
sed -n '/execve("[^"]*tibra-dnsd"/,$p' "$TMP/trace" |
    sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' | sort -u >"$TMP/used"
[ "$(wc -l <"$TMP/used")" -gt 10 ] ||
    fail "strace saw too little: $(head "$TMP/trace")"
bad=$(comm -23 "$TMP/used" "$TMP/filter" | tr '\n' ' ')
[ -z "$bad" ] || fail "system calls the unit's filter would kill: $bad"
echo "ok   run: its $(wc -l <"$TMP/used") system calls (start, queries," \
    "reload, stop) all pass SystemCallFilter="
echo "     $(tr '\n' ' ' <"$TMP/used")"
