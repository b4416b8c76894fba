#!/usr/bin/env bash
# test-timeout: 200
# vmmd_limits -- what tibra-vmmd refuses, each with a message naming why,
# and that a refusal leaves nothing behind: a create over --max-mem, over
# --max-unikernels, on a CPU outside --allow-cpus, on a bridge outside
# --allow-bridge; a duplicate name; a missing bridge; an image of another
# ABI version; devices the image does not declare or needs; malformed,
# truncated and oversized requests (the daemon answers an error and keeps
# serving).  Also block create/list/destroy, --create-bridge (made and
# removed), console --follow and --metrics over HTTP.  Needs root.
. "$(dirname "$0")/vmmd.bash"
vm_setup vmmd_limits "$@"
command -v python3 >/dev/null || skip "python3 not installed"

vm_svc u1 10.0.0.21 spt
vm_svc u2 10.0.0.22 spt
vm_svc u3 10.0.0.23 spt
vm_daemon --allow-bridge br0 --allow-bridge brnew --allow-bridge brgone \
    --max-unikernels 2 --max-mem 40 --allow-cpus 0 --metrics 127.0.0.1:9419
"$TB" build -q "$TMP/s/u1.conf" -o "$TMP/u1.spt" || fail "build u1"

# refused CMD... REGEX: tbv CMD fails with status 1 and a message.
refused() {
    local re=$1
    shift
    tbv "$@"
    [ "$RC" = 1 ] || fail "$*: status $RC, want 1 ($OUT)"
    expect_match "refused: $*" "$OUT" "$re"
}

tbv create u1 "$TMP/u1.spt" --net service0=br0
expect "create u1 from an image" "$RC" 0
refused "u1: a unikernel named u1 exists already" create u1 "$TMP/u1.spt" --net service0=br0
refused "--max-mem 40 MiB: 16 MiB in use, 32 MiB more asked" \
    create u2 "$TMP/s/u2.conf" --net service0=br0 --mem 32
refused "CPU 1 is not in --allow-cpus" create u2 "$TMP/s/u2.conf" --net service0=br0 --cpus 0-1
refused "bridge br9 is not in --allow-bridge" create u2 "$TMP/s/u2.conf" --net service0=br9
refused "bridge brgone does not exist \(create it" create u2 "$TMP/s/u2.conf" --net service0=brgone
refused "the image needs net device 'service0': give --net service0=BRIDGE" create u2 "$TMP/s/u2.conf"
refused "the image declares no block device 'data'" \
    create u2 "$TMP/s/u2.conf" --net service0=br0 --block data=nosuch
refused "the image declares no net device 'eth1'" \
    create u2 "$TMP/s/u2.conf" --net service0=br0 --net eth1=br0
refused "the image is a spt image, not hvt" create u2 "$TMP/u1.spt" --net service0=br0 --target hvt

# An image of another ABI version: the manifest note says 1.
python3 - "$TMP/u1.spt" "$TMP/abi1.spt" <<'PY' || fail "cannot patch the manifest"
import re, sys
img = bytearray(open(sys.argv[1], "rb").read())
pat = re.compile(rb"\x06\x00\x00\x00(....)\x42\x54\x00\x00Tibra\x00\x00\x00\x02\x00\x00\x00", re.S)
m = list(pat.finditer(img))
if len(m) != 1:
    sys.exit("manifest note found %d times" % len(m))
img[m[0].end() - 4] = 1
open(sys.argv[2], "wb").write(img)
PY
refused "wrong ABI: image built for Tibra ABI version 1, this tender implements version 2" create u2 "$TMP/abi1.spt" --net service0=br0
refused "not a guest image for this host: .*machine" create u2 \
    "$TIBRA_SRC/tests/fuzz/corpus/elf/bad_machine.elf" --net service0=br0
refused "no Tibra manifest|manifest" create u2 \
    "$TIBRA_SRC/tests/fuzz/corpus/elf/bad_no_manifest.elf" --net service0=br0
"$TB" build -q "$TMP/s/ns1.conf" -o "$TMP/u2.unix" ||
    fail "build examples/ns1.conf (target unix)"
refused "a Linux program \(a unix-target image\?\).*tibra deploy systemd" create u2 "$TMP/u2.unix" --net service0=br0
refused "the image does not fit in --mem 1 MiB" create u2 "$TMP/u1.spt" --net service0=br0 --mem 1

# Nothing was left by the refusals: one unikernel, one image, one TAP.
expect "records after refusals" "$(ls "$TMP/state/vm")" u1
expect "images after refusals" "$(ls "$TMP/state/images" | wc -l)" 1
expect "TAPs after refusals" "$(ip -o link show | grep -c tbv)" 1

tbv create u2 "$TMP/s/u2.conf" --net service0=brnew --create-bridge --cpus 0
expect "create u2 with --create-bridge" "$RC" 0
ip -o link show brnew >/dev/null 2>&1 || fail "brnew was not created"
echo "ok   brnew created"
refused "--max-unikernels 2 reached" create u3 "$TMP/s/u3.conf" --net service0=br0
tbv destroy u2
expect "destroy u2" "$RC" 0
ip -o link show brnew >/dev/null 2>&1 && fail "brnew is still there"
echo "ok   brnew removed with its last unikernel"
refused "u2: no unikernel named u2" destroy u2
refused "u2: no unikernel named u2" console u2

# Blocks.
tbv block create disk1 4
expect "block create" "$RC" 0
expect "block size" "$(stat -c %s "$TMP/state/blocks/disk1")" 4194304
refused "block disk1 exists already" block create disk1 4
tbv block list
expect_match "block list" "$OUT" "disk1 +4Mi -"
tbv block destroy disk1
expect "block destroy" "$RC" 0
refused "no such block" block destroy disk1

# Requests no CLI would send: each answered with an error, the daemon
# keeps serving.
python3 - "$TMP/sock" <<'PY' || fail "malformed requests"
import socket, struct, sys
def ask(raw, want):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(sys.argv[1])
    s.sendall(raw)
    s.shutdown(socket.SHUT_WR)
    data = b""
    while True:
        b = s.recv(65536)
        if not b:
            break
        data += b
    s.close()
    assert len(data) >= 5 and data[4] == 1, (raw[:16], data)
    text = data[5:].decode()
    assert want in text, (want, text)
    print("ok   malformed: %r -> %s" % (raw[:12], text))
ask(struct.pack(">I", 0xFFFFFFFF), "request of 4294967295 bytes")
ask(struct.pack(">I", 70000) + b"x" * 100, "request of 70000 bytes")
ask(struct.pack(">I", 6) + b"GET / ", "not a tibra-vmmd request")
ask(struct.pack(">I", 4) + b"TV\x09\x02", "version 9")
ask(struct.pack(">I", 4) + b"TV\x01\x63", "unknown request 99")
body = b"TV\x01\x02" + b"\x01\x00\x06../etc"
ask(struct.pack(">I", len(body)) + body, "want a name")
body = b"TV\x01\x02" + b"\x01\x00\x40ab"
ask(struct.pack(">I", len(body)) + body, "runs past the end")
body = b"TV\x01\x05"
ask(struct.pack(">I", len(body)) + body, "lacks a required field")
body = b"TV\x01\x0b" + b"\x01\x00\x01a\x0e\x00\x40" + b"ab" * 32
ask(struct.pack(">I", len(body)) + body, "not a request")
PY
tbv list
expect_match "still serving after malformed requests" "$OUT" "u1 +running"

# console --follow sees a restart's lines as they come.
"$TB" console u1 --follow --socket "$TMP/sock" >"$TMP/follow.log" 2>&1 &
FPID=$!
sleep 0.5
tbv restart u1
expect "restart u1" "$RC" 0
for _ in $(seq 100); do
    grep -q READY <(sed -n '/started spt tender/,$p' "$TMP/follow.log") && break
    sleep 0.1
done
kill "$FPID" 2>/dev/null
wait "$FPID" 2>/dev/null
expect_match "console --follow" "$(cat "$TMP/follow.log")" "tender exited with status 0"
grep -q READY <(sed -n '/started spt tender/,$p' "$TMP/follow.log") ||
    fail "console --follow: no READY after the restart: $(cat "$TMP/follow.log")"
echo "ok   console --follow: READY after the restart"
expect "u1 answers after restart" "$(ask 10.0.0.21)" 192.0.2.10

# --metrics: the same text over HTTP.
if command -v curl >/dev/null; then
    M=$(curl -sf --max-time 10 http://127.0.0.1:9419/metrics)
    expect_match "metrics over HTTP" "$M" '^tibra_vmm_up\{name="u1",target="spt"\} 1$'
    expect "metrics: 404 elsewhere" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 http://127.0.0.1:9419/)" 404
fi

# A crash loop: a guest argument it refuses makes it exit 1 at once.
# Restarts back off 1 s, 2 s, ...; destroy works while it waits.
tbv create u2 "$TMP/s/u2.conf" --net service0=br0 --arg --no-such-option=1 \
    --restart-on-fail
expect "create a crash-looping u2" "$RC" 0
for _ in $(seq 80); do
    [ "$(info_field u2 restarts)" -ge 2 ] 2>/dev/null && break
    sleep 0.1
done
tbv console u2
expect_match "crash loop: back-off 1 s" "$OUT" "restarting in 1000 ms"
expect_match "crash loop: back-off 2 s" "$OUT" "restarting in 2000 ms"
expect_match "crash loop: the guest says why" "$OUT" "no-such-option"
expect_match "crash loop: exit status" "$OUT" "tender exited with status 1"
tbv destroy u2
expect "destroy a crash-looping unikernel" "$RC" 0
# --restart-on-fail=CODES: exit 1 is not listed, so no restart.
tbv create u2 "$TMP/s/u2.conf" --net service0=br0 --arg --no-such-option=1 \
    --restart-on-fail=3,4
expect "create u2 restarting on 3,4 only" "$RC" 0
for _ in $(seq 50); do
    [ "$(info_field u2 state)" = exited ] && break
    sleep 0.1
done
expect "exit 1 with --restart-on-fail=3,4: exited" "$(info_field u2 state)" exited
expect "exit 1 with --restart-on-fail=3,4: no restart" "$(info_field u2 restarts)" 0
tbv destroy u2

# A bridge gone when the daemon starts (as after a reboot, before the
# network is up): the unikernel waits in back-off and starts once it is
# back.  --allow-bridge brgone, which is made here for the purpose.
ip link add brgone type bridge
tbv create u2 "$TMP/s/u2.conf" --net service0=brgone --restart-on-fail
expect "create u2 on brgone" "$RC" 0
vm_daemon_stop TERM
ip link del brgone
vm_daemon --allow-bridge br0 --allow-bridge brnew --allow-bridge brgone \
    --max-unikernels 2 --max-mem 40 --allow-cpus 0
expect "u2 waits for its bridge" "$(info_field u2 state)" backoff
expect_match "u2 says why" "$(info_field u2 error)" "bridge brgone does not exist"
ip link add brgone type bridge
ip link set brgone up
for _ in $(seq 60); do
    [ "$(info_field u2 state)" = running ] && break
    sleep 0.1
done
expect "u2 runs once brgone is back" "$(info_field u2 state)" running
tbv destroy u2

tbv destroy u1
expect "destroy u1" "$RC" 0
expect "no TAP left" "$(ip -o link show | grep -c tbv)" 0
vm_daemon_stop TERM
expect "daemon exit" "$DRC" 0
echo "SUCCESS"
