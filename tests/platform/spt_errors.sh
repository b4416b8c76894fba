#!/usr/bin/env bash
# spt_errors.sh -- tibra-spt refuses what it must, with a clear message and
# exit status 1, before running any guest code: no image, a missing or
# non-ELF image, an image outside guest memory, an image linked for
# another target (stub, hvt), an image built for another Tibra ABI (the
# message names both versions), a device the manifest does not declare, a
# declared device left unattached, a missing block file, a missing TAP
# interface.
. "$(dirname "$0")/lib/platform.sh"

if ! plat_available spt hello; then
    echo "SKIP spt_errors: tibra-spt or hello.spt not built"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# refused NAME REGEX CMD...: CMD exits 1 and prints REGEX.
refused() {
    local name=$1 re=$2
    shift 2
    OUT=$(timeout 10 "$@" 2>&1 </dev/null)
    RC=$?
    if [ "$RC" -ne 1 ]; then
        bad "$name" "exit status $RC, expected 1"
    elif ! printf '%s\n' "$OUT" | grep -qE -- "$re"; then
        bad "$name" "message does not match /$re/"
    elif printf '%s\n' "$OUT" | grep -q 'Hello, Tibra'; then
        bad "$name" "the guest ran"
    else
        ok "$name"
    fi
}

refused "usage" '^usage: tibra-spt' "$SPT"
refused "unknown option" "unknown option '--frob'" "$SPT" --frob "$APPS_G/hello.spt"
refused "missing image" 'nosuch.spt' "$SPT" "$tmp/nosuch.spt"
echo "not an image" >"$tmp/text.spt"
refused "not ELF" 'text.spt: ' "$SPT" "$tmp/text.spt"
refused "bad --mem" 'mem=0' "$SPT" --mem=0 "$APPS_G/hello.spt"
# Guest memory of 1 MiB ends where the image starts (0x100000).
refused "image outside memory" 'outside guest memory' \
    "$SPT" --mem=1 "$APPS_G/hello.spt"

# The same image with the manifest's ABI version (first word of the note's
# descriptor, after 12 header bytes and the 8-byte name) changed to 99.
/usr/bin/python3 - "$APPS_G/hello.spt" "$tmp/abi99.spt" <<'PY'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
i = data.find(b"Tibra\0\0\0")
assert i >= 12, "no manifest note"
struct.pack_into("<I", data, i + 8, 99)
open(sys.argv[2], "wb").write(data)
PY
abi=$(sed -n 's/^#define TB_ABI_VERSION \([0-9]*\).*/\1/p' \
    "$TIBRA_SRC/include/tibra/plat.h")
refused "ABI mismatch" "version 99.*version $abi\$|version $abi.*version 99" \
    "$SPT" "$tmp/abi99.spt"

# An image linked for another target: the stub link (default address).
if [ -f "$TIBRA_GUEST/tests/platform/stub/hello" ]; then
    refused "not an spt image" 'not an spt image' \
        "$SPT" "$TIBRA_GUEST/tests/platform/stub/hello"
fi
if [ -f "$APPS_G/hello.hvt" ]; then
    refused "hvt image" 'not an spt image' "$SPT" "$APPS_G/hello.hvt"
fi

truncate -s 64K "$tmp/disk.img"
refused "undeclared device" "'nosuch'" \
    "$SPT" --block:nosuch="$tmp/disk.img" "$APPS_G/hello.spt"
if [ -f "$APPS_G/block.spt" ]; then
    refused "unattached device" "storage" "$SPT" "$APPS_G/block.spt"
    refused "missing block file" "missing.img" \
        "$SPT" --block:storage="$tmp/missing.img" "$APPS_G/block.spt"
    refused "wrong device type" "storage" \
        "$SPT" --net:storage=tap0 "$APPS_G/block.spt"
fi
if [ -f "$APPS_G/net.spt" ]; then
    refused "missing TAP" "tibranotap0" \
        "$SPT" --net:service0=tibranotap0 "$APPS_G/net.spt"
fi
finish spt_errors
