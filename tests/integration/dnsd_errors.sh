#!/usr/bin/env bash
# dnsd_errors -- what a newcomer sees when something is wrong: a bad
# service file or zone exits 1 with FILE:LINE, --check says 0 or 1, an
# address already in use exits 1 naming it, and --help / --version / bad
# usage behave as documented.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_errors

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 1
dnsd_conf

run() { # runs tibra-dnsd ARGS with a bound; sets RC and OUT (stderr+stdout)
    OUT=$(timeout 20 "$DNSD" "$@" 2>&1)
    RC=$?
}

# --check on a good service
run --check "$TMP/ns.conf"
expect "--check good: status" "$RC" "0"
expect_match "--check good: summary" "$OUT" "zone example.test: serial 1"

# A bad key in the service file: exit 1, file:line.
printf 'service: listen 127.0.0.1@%s\n  colour blue\n' "$PORT" >"$TMP/bad.conf"
run "$TMP/bad.conf"
expect "bad config: status" "$RC" "1"
expect_match "bad config: file:line" "$OUT" \
    "bad\.conf:2: unknown service key 'colour'"
run -c "$TMP/bad.conf"
expect "bad config --check: status" "$RC" "1"

# A missing service file.
run "$TMP/none.conf"
expect "missing file: status" "$RC" "1"
expect_match "missing file: message" "$OUT" "none\.conf: cannot read"

# A bad zone: exit 1 with the zone file's file:line.
cp "$TMP/zones/example.test.zone" "$TMP/zones/good.zone"
printf 'oops    A     not-an-address\n' >>"$TMP/zones/example.test.zone"
line=$(wc -l <"$TMP/zones/example.test.zone")
run "$TMP/ns.conf"
expect "bad zone: status" "$RC" "1"
expect_match "bad zone: file:line" "$OUT" "example\.test\.zone:$line: "
run --check "$TMP/ns.conf"
expect "bad zone --check: status" "$RC" "1"
cp "$TMP/zones/good.zone" "$TMP/zones/example.test.zone"

# A missing zone file.
printf 'service: listen 127.0.0.1@%s\nzone: a.test; file nowhere.zone\n' \
    "$PORT" >"$TMP/nozone.conf"
run "$TMP/nozone.conf"
expect "missing zone: status" "$RC" "1"
expect_match "missing zone: message" "$OUT" "nowhere\.zone: cannot read"

# The address is taken: exit 1 naming it.
/usr/bin/python3 - "$PORT" "$TMP" "$DNSD" <<'PY' || fail "address in use"
import socket, subprocess, sys
port, tmp, dnsd = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", port))
s.listen(1)
p = subprocess.run([dnsd, tmp + "/ns.conf"], capture_output=True, text=True,
                   timeout=20)
s.close()
if p.returncode != 1:
    raise SystemExit("status %d, wanted 1\n%s" % (p.returncode, p.stderr))
want = "cannot listen on 127.0.0.1@%d (tcp): Address already in use" % port
if want not in p.stderr:
    raise SystemExit("message missing: %r\n%s" % (want, p.stderr))
print("ok   address in use: status 1, address named")
PY

# Usage
run --help
expect "--help: status" "$RC" "0"
expect_match "--help: synopsis" "$OUT" "^SYNOPSIS"
expect_match "--help: signals" "$OUT" "SIGHUP"
expect_match "--help: exit status" "$OUT" "^EXIT STATUS"
expect_match "--help: example" "$OUT" "dig @127.0.0.1 -p 5353"
run --version
expect "--version: status" "$RC" "0"
expect_match "--version: text" "$OUT" "^tibra-dnsd [0-9a-z]"
run
expect "no argument: status" "$RC" "2"
run -w 0 "$TMP/ns.conf"
expect "-w 0: status" "$RC" "2"
run --bogus "$TMP/ns.conf"
expect "unknown option: status" "$RC" "2"
echo SUCCESS
