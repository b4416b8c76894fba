#!/usr/bin/env bash
# tibra_cli -- the tibra command: --help and --version, `tibra check` on a
# good and a bad service (status 0 / 1 with FILE:LINE), `tibra run` of a
# bad service (FILE:LINE, status 1, nothing built) and of a target unix
# service (built into dist/, then it becomes the image: answers, SIGTERM
# -> 0).
. "$(dirname "$0")/dnsd.bash"
dnsd_setup tibra_cli
TIBRA=${TIBRA_HOST:-build/host-$(uname -m)}/tibra
[ -x "$TIBRA" ] || fail "$TIBRA not built"
[ -n "${CROSS_RUN:-}" ] && skip "tibra runs the host's tibra-dnsd; cross build"

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 11
dnsd_conf

OUT=$("$TIBRA" --help); RC=$?
expect "--help: status" "$RC" "0"
expect_match "--help: commands" "$OUT" "^    check   "
OUT=$("$TIBRA" --version); RC=$?
expect "--version: status" "$RC" "0"
expect_match "--version: text" "$OUT" "^tibra [0-9a-z]"
"$TIBRA" >/dev/null 2>&1; RC=$?
expect "no command: status" "$RC" "2"

OUT=$("$TIBRA" check "$TMP/ns.conf" 2>&1); RC=$?
expect "check good: status" "$RC" "0"
expect_match "check good: zone" "$OUT" "zone example.test: serial 11"
printf 'service: listen 127.0.0.1@%s\nzone: x.test\n' "$PORT" >"$TMP/bad.conf"
OUT=$("$TIBRA" check "$TMP/bad.conf" 2>&1); RC=$?
expect "check bad: status" "$RC" "1"
expect_match "check bad: file:line" "$OUT" \
    "bad\.conf:2: zone x\.test has no file"

# tibra run of a service with an error: FILE:LINE, status 1, nothing run.
OUT=$("$TIBRA" run "$TMP/bad.conf" 2>&1); RC=$?
expect "run bad: status" "$RC" "1"
expect_match "run bad: file:line" "$OUT" "bad\.conf:2: zone x\.test has no file"
[ -e "$TMP/dist" ] && fail "run bad: dist/ was created"

# tibra run: builds dist/it.unix (the DNS application as a Linux process)
# and execs it in place (same PID).
"$TIBRA" run "$TMP/ns.conf" 2>"$TMP/log" &
DNSD_PID=$!
for _ in $(seq 100); do
    q +short example.test SOA 2>/dev/null | grep -q hostmaster && break
    kill -0 "$DNSD_PID" 2>/dev/null || fail "tibra run exited early"
    sleep 0.1
done
expect "run unix: answers" "$(q +short www.example.test A)" "192.0.2.10"
[ -x "$TMP/dist/it.unix" ] || fail "run unix: no image dist/it.unix"
dnsd_stop
expect "run unix: SIGTERM status" "$DNSD_RC" "0"
echo SUCCESS
