#!/usr/bin/env bash
# test-timeout: 400
# tibra_secondary -- the product path of a secondary zone in an image
# (issue 10): a service file with `primary` and `state SIZE`, built by
# `tibra build` and run by `tibra run` (spt; hvt with --target hvt where
# /dev/kvm exists), in a network namespace of its own.  The primary is
# tibra-dnsd on the host side of a TAP device (10.0.0.1@53).  Checks:
#   the build refuses the secondary without `state` (FILE:LINE), refuses
#   `primary ... key` (not yet in images), and an allow-update zone's
#   image carries --allow-update but never the key's secret;
#   the image's manifest declares block device "state" (tibra inspect);
#   tibra run creates the state file (and says so), the image answers the
#   zone after its AXFR;
#   restarted with the primary stopped, it serves the kept copy;
#   an allow-update image (key given at run time, never shown) takes a
#   signed nsupdate and answers it again after a restart;
#   tibra deploy systemd: the state file in StateDirectory, made by the
#   unit's ExecStartPre= (run here: creates, never shrinks), attached;
#   --manager: the daemon's block NAME-state.
# Needs root (unshare, TAP).
. "$(dirname "$0")/tibra.bash"
TEST_NAME=tibra_secondary
[ "$(id -u)" = 0 ] || skip "needs root (network namespace, TAP devices)"
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "cross build"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
command -v ip >/dev/null || skip "ip not installed (iproute2)"
command -v dig >/dev/null || skip "dig not installed (bind9-dnsutils)"
command -v unshare >/dev/null || skip "unshare not installed (util-linux)"
if [ -z "${TIBRA_IN_NETNS:-}" ]; then
    exec unshare -n env TIBRA_IN_NETNS=1 bash "$0" "$@"
fi
ip link set lo up
tb_setup tibra_secondary "${TIBRA_HOST:-build/host-$(uname -m)}/tibra"
DNSD=${TIBRA_UNIX:-build/unix-$(uname -m)}/tibra-dnsd
[ -x "$DNSD" ] || fail "$DNSD not built"
S=$TMP/s
mkdir -p "$S/zones" "$S/keys"
cd "$S" || fail "no tree"
PID= PPID_=
# stop_pid VAR: SIGTERM the process in VAR until it exits, bounded;
# its status in RC
stop_pid() {
    local p=${!1}
    RC=
    [ -n "$p" ] || return 0
    for _ in $(seq 100); do
        kill -TERM "$p" 2>/dev/null || break
        for _ in $(seq 10); do
            kill -0 "$p" 2>/dev/null || break 2
            sleep 0.1
        done
    done
    kill -KILL "$p" 2>/dev/null
    wait "$p"
    RC=$?
    printf -v "$1" '%s' ''
}
trap 'stop_pid PID; stop_pid PPID_; rm -rf "$TMP"' EXIT

# --- build-time checks ---------------------------------------------------
cat >sec.conf <<'EOF'
service: name sec; target spt; address 10.0.0.2/24; gateway 10.0.0.1
zone:    example.test; primary 10.0.0.1
EOF
out=$("$TB" build sec.conf 2>&1)
expect "no state: status" "$?" "1"
expect_match "no state: FILE:LINE" "$out" \
    "^sec.conf:2: zone example.test: a secondary zone needs a state device"

head -c 32 /dev/urandom | base64 >keys/k
SECRET=$(cat keys/k)
cat >key.conf <<'EOF'
service: name keyed; target spt; address 10.0.0.2/24; state 8M
key:     k; algorithm hmac-sha256; secret-file keys/k
zone:    example.test; primary 10.0.0.1 key k
EOF
out=$("$TB" build key.conf 2>&1)
expect "primary ... key: status" "$?" "1"
expect_match "primary ... key: FILE:LINE" "$out" \
    "^key.conf:3: zone example.test: primary ... key k: TSIG with primaries is not supported in images yet"

cat >zones/upd.zone <<'EOF'
$TTL 300
@ SOA ns1.upd.test. hostmaster.upd.test. 1 3600 600 86400 300
@ NS ns1
ns1 A 10.0.0.2
EOF
cat >upd.conf <<'EOF'
service: name upd; target spt; address 10.0.0.2/24; state 8M
key:     k; algorithm hmac-sha256; secret-file keys/k
zone:    upd.test; file zones/upd.zone; allow-update key k
EOF
"$TB" build upd.conf >"$TMP/upd.log" 2>&1 || fail "allow-update: $(cat "$TMP/upd.log")"
ins=$("$TB" inspect dist/upd.spt)
expect_match "allow-update: boot words" "$ins" \
    "args: .*--allow-update=upd.test:k --state-device=state"
expect_match "allow-update: block device state" "$ins" "device: +block state"
grep -qF "$SECRET" dist/upd.spt dist/upd.spt.record &&
    fail "allow-update: the secret is in the image or its record"
echo "ok   allow-update: the key's secret is in neither image nor record"
sed 's/allow-update key k/allow-update key k; serial-policy unixtime/' \
    upd.conf >upd2.conf
out=$("$TB" build upd2.conf 2>&1)
expect "allow-update + serial-policy: status" "$?" "1"
expect_match "allow-update + serial-policy: FILE:LINE" "$out" \
    "^upd2.conf:3: zone upd.test: serial-policy with allow-update is not supported in images yet"

# --- the secondary, run ----------------------------------------------------
sed -i 's/gateway 10.0.0.1$/gateway 10.0.0.1; state 8M/' sec.conf
cat >zones/example.test.zone <<'EOF'
$TTL 300
@ SOA ns1.example.test. hostmaster.example.test. 7 3600 600 86400 300
@ NS ns1
ns1 A 10.0.0.1
www A 192.0.2.7
EOF
cat >p.conf <<'EOF'
service: name p; target unix; workers 1; listen 10.0.0.1@53
zone:    example.test; file zones/example.test.zone; allow-transfer 10.0.0.2
EOF
ip tuntap add dev tapx mode tap
ip addr add 10.0.0.1/24 dev tapx
ip link set tapx up

primary_start() {
    "$DNSD" p.conf 2>>"$TMP/primary.log" &
    PPID_=$!
    for _ in $(seq 100); do
        dig @10.0.0.1 +time=1 +tries=1 +short example.test SOA 2>/dev/null |
            grep -q hostmaster && return 0
        sleep 0.1
    done
    fail "the primary did not answer: $(cat "$TMP/primary.log")"
}
# run_image LABEL WAIT-S ARGS...: tibra run sec.conf ARGS in the
# background, READY (CONF=FILE: another service file)
run_image() {
    local label=$1 wait_s=$2
    shift 2
    # The parent empties the log itself: the child's truncation may come
    # after the first grep, which must not see the last run's READY.
    : >"$TMP/run.log"
    "$TB" run "${CONF:-sec.conf}" --tap tapx "$@" >>"$TMP/run.log" 2>&1 &
    PID=$!
    for _ in $(seq $((wait_s * 10))); do
        grep -q READY "$TMP/run.log" && break
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    if ! grep -q READY "$TMP/run.log"; then
        local st=running
        kill -0 "$PID" 2>/dev/null || { wait "$PID"; st="exited with status $?"; }
        fail "$label: not ready after ${wait_s}s (tibra run $st): $(cat "$TMP/run.log")"
    fi
    grep -E '^tibra:' "$TMP/run.log" | sed 's/^/     | /'
}
# answers NAME WANT SECONDS: the image answers NAME A with WANT in time
answers() {
    local got=
    for _ in $(seq $(($3 * 2))); do
        got=$(dig @10.0.0.2 +time=1 +tries=1 +short "$1" A 2>/dev/null)
        [ "$got" = "$2" ] && return 0
        sleep 0.5
    done
    fail "$label: $1 A: got '$got', want '$2'"
}

case_target() { # LABEL READY-WAIT-S [--target hvt]
    label=$1
    local w=$2 img=dist/sec.spt
    shift 2
    [ "${1:-}" = --target ] && img=dist/sec.$2
    rm -f "$img.state"
    primary_start
    run_image "$label" "$w" "$@"
    expect_match "$label: manifest" "$("$TB" inspect "$img")" "device: +block state"
    grep -q "^tibra: created state file $img.state (8 MiB" "$TMP/run.log" ||
        fail "$label: the state file's creation was not said"
    expect "$label: state file size" "$(stat -c %s "$img.state")" 8388608
    grep -q -- "--block:state=$img.state" "$TMP/run.log" ||
        fail "$label: the tender was not given the state file"
    answers www.example.test 192.0.2.7 30
    echo "ok   $label: answers the zone after its transfer"
    stop_pid PID
    expect "$label: SIGTERM status" "$RC" 0

    stop_pid PPID_
    run_image "$label restart" "$w" "$@"
    grep -q "^tibra: using state file $img.state" "$TMP/run.log" ||
        fail "$label: the kept state file was not said"
    grep -q 'serial 7 from the state device' "$TMP/run.log" ||
        fail "$label: the kept copy was not loaded: $(cat "$TMP/run.log")"
    answers www.example.test 192.0.2.7 5
    echo "ok   $label: restarted with the primary stopped: the kept copy answers"
    stop_pid PID
    expect "$label restart: SIGTERM status" "$RC" 0
}

case_target spt 30
# Reproducible: rebuilt from its record in a clean directory, the same
# image (the state application included).
out=$("$TB" verify dist/sec.spt 2>&1) || fail "verify: $out"
expect_match "verify: the secondary's image rebuilt identical" "$out" "^identical: dist/sec.spt"
grep -q "^input lib [0-9a-f]* spt-[a-z0-9_]*/app-state.a$" dist/sec.spt.record ||
    fail "the record does not name app-state.a"
LIB=$(dirname "$TB")/../lib/tibra
if [ -c /dev/kvm ] && [ -f "$LIB/hvt-$(uname -m)/link.txt" ]; then
    case_target hvt 120 --target hvt
else
    echo "     (hvt: no /dev/kvm or no hvt library: not run)"
fi

# allow-update through tibra run: the key given at run time, the update
# journaled on the state file, answered again after a restart.
if command -v nsupdate >/dev/null; then
    label="spt allow-update"
    upd() {
        printf 'server 10.0.0.2\nzone upd.test\nupdate add u%s.upd.test 300 A 192.0.2.%s\nsend\n' \
            "$1" "$1" | timeout 10 nsupdate -t 3 -y "hmac-sha256:k:$SECRET" \
            >/dev/null 2>&1
    }
    CONF=upd.conf run_image "$label" 30 -- --tsig-key="k:hmac-sha256:$SECRET"
    grep -q "^tibra: created state file dist/upd.spt.state (8 MiB" "$TMP/run.log" ||
        fail "$label: the state file's creation was not said"
    grep -qF "$SECRET" "$TMP/run.log" && fail "$label: tibra run showed the secret"
    grep -q -- "--tsig-key=k:hmac-sha256:(secret)" "$TMP/run.log" ||
        fail "$label: the key word was not said"
    upd 9 || fail "$label: the signed update was refused"
    answers u9.upd.test 192.0.2.9 5
    echo "ok   $label: a signed update answered"
    stop_pid PID
    CONF=upd.conf run_image "$label restart" 30 -- --tsig-key="k:hmac-sha256:$SECRET"
    answers u9.upd.test 192.0.2.9 5
    echo "ok   $label: the update is answered after a restart (journal)"
    stop_pid PID
else
    echo "     (allow-update run: nsupdate not installed: not run)"
fi
ip link del tapx

# tibra deploy systemd: the state file in the unit's StateDirectory, made
# by its ExecStartPre= (create, never shrink), given to the tender; with
# --manager the daemon's block NAME-state.
"$TB" deploy systemd sec.conf -o units --prefix "$(dirname "$TB")/.." \
    >"$TMP/deploy.log" 2>&1 || fail "deploy: $(cat "$TMP/deploy.log")"
u=units/tibra-sec.service
grep -qx "StateDirectory=tibra-sec" $u || fail "deploy: no StateDirectory"
grep -q "^ExecStart=.*tibra-spt --net:service0=tb-sec --block:state=/var/lib/tibra-sec/state " $u ||
    fail "deploy: the tender is not given the state file: $(grep ExecStart= $u)"
pre=$(sed -n 's/^ExecStartPre=//p' $u)
expect "deploy: ExecStartPre" "$pre" "/usr/bin/truncate -s >8388608 /var/lib/tibra-sec/state"
read -ra cmd <<<"${pre//\/var\/lib\/tibra-sec/$TMP}"
"${cmd[@]}" || fail "deploy: ExecStartPre failed"
expect "deploy: the state file made" "$(stat -c %s "$TMP/state")" 8388608
printf 'kept' | dd of="$TMP/state" conv=notrunc status=none
truncate -s 16M "$TMP/state"
"${cmd[@]}" || fail "deploy: ExecStartPre failed on an existing file"
expect "deploy: an existing state file kept" \
    "$(stat -c %s "$TMP/state"):$(head -c 4 "$TMP/state")" "16777216:kept"
if command -v systemd-analyze >/dev/null; then
    out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
        --generators=no $u units/tibra-sec-tap.service 2>&1)
    expect "deploy: systemd-analyze verify" "$out" ""
fi
"$TB" deploy systemd sec.conf -o munits --manager br0 \
    --prefix "$(dirname "$TB")/.." >"$TMP/deploy.log" 2>&1 ||
    fail "deploy --manager: $(cat "$TMP/deploy.log")"
grep -q "^ExecStartPre=-.*/tibra block create sec-state 8$" munits/tibra-sec.service ||
    fail "deploy --manager: no block create"
grep -q "^ExecStart=.* --net service0=br0 --block state=sec-state " munits/tibra-sec.service ||
    fail "deploy --manager: the unikernel is not given the block"
echo "ok   deploy --manager: block sec-state made and attached"
echo SUCCESS
