#!/usr/bin/env bash
# hvt_image.sh -- what tibra-hvt refuses before a guest runs, each with a
# message and exit status 1 (never a crash): every malformed image that
# tests/platform/hvt_mkelf.py writes (bad headers, overflowing offsets,
# overlapping or out-of-range segments, W+X, dynamic, bad manifests), an
# image for another ABI version (the message names both versions), an
# image for another machine, device attaches that the manifest does not
# declare or that are missing, a TAP interface or block file that does
# not exist, and (root only) no /dev/kvm or no permission on it.  Also:
# the stripped hello image is at most 32 KiB and runs in 2 MiB of memory.
. "$(dirname "$0")/hvt_lib/hvt.sh"
hvt_require hvt_image

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$HVT_SRC/hvt_mkelf.py" "$tmp" || { bad mkelf "hvt_mkelf.py failed"; }

for f in "$tmp"/bad_*.elf; do
    n=$(basename "$f" .elf)
    hvt_run --mem=4 "$f"
    if [ "$RC" -ne 1 ]; then
        bad "$n refused" "exit status $RC, expected 1"
    elif ! printf '%s\n' "$OUT" | grep -q "^tibra-hvt: $f: "; then
        bad "$n refused" "no message naming the image"
    else
        ok "$n refused: ${OUT#*"$f": }"
    fi
done

abi=$(sed -n 's/^#define TB_ABI_VERSION \([0-9]*\).*/\1/p' \
    "$HVT_SRC/../../include/tibra/plat.h")
hvt_run "$tmp/bad_abi_version.elf"
expect_output "ABI mismatch names both versions" \
    "ABI version $((abi + 1)), this tender implements version $abi"
hvt_run "$tmp/ok_aarch64.elf"
expect_rc "aarch64 image refused" 1
expect_output "aarch64 image message" 'image is for aarch64.*runs x86_64'

# An spt image has the same ELF shape; entered as hvt it would crash.
spt_hello="$TIBRA_GUEST/tests/platform/apps/hello.spt"
if [ -f "$spt_hello" ]; then
    hvt_run "$spt_hello"
    expect_rc "spt image refused" 1
    expect_output "spt image message" 'an spt image \(run it with tibra-spt\)'
fi

# Device attaches against the manifest (service0: net, storage: block).
ok_img="$tmp/ok_x86_64.elf"
truncate -s 64K "$tmp/disk.img"
hvt_run --block:storage="$tmp/disk.img" "$ok_img"
expect_rc "declared net device missing" 1
expect_output "missing device message" \
    "needs net device 'service0': attach it with --net:service0=TAP"
hvt_run --net:service0=tbnosuch0 --block:storage="$tmp/disk.img" \
    --block:extra="$tmp/disk.img" "$ok_img"
expect_output "undeclared device refused" \
    "device 'extra' \\(block\\) is not declared.*declared: service0 \\(net\\), \
storage \\(block\\)"
hvt_run --block:service0="$tmp/disk.img" --block:storage="$tmp/disk.img" \
    "$ok_img"
expect_output "wrong device type refused" \
    "device 'service0' \\(block\\) is not declared"
hvt_run --net:service0=tbnosuch0 --block:storage="$tmp/disk.img" "$ok_img"
expect_rc "missing TAP refused" 1
expect_output "missing TAP message" "TAP interface 'tbnosuch0' does not exist"
# badcall.hvt declares its block device first, so it is opened first.
hvt_run --net:service0=tbnosuch0 --block:storage="$tmp/nosuch.img" \
    "$HVT_BAD/badcall.hvt"
expect_rc "missing block file refused" 1
expect_output "missing block file message" "nosuch.img'?: No such file"
hvt_run --block:storage="$tmp/disk.img" --block:storage="$tmp/disk.img" \
    --net:service0=x "$ok_img"
expect_output "double attach refused" "attached twice"
hvt_run --mem=1 "$HVT_APPS/hello.hvt"
expect_output "--mem=1 refused" 'need a number of MiB in 2..4096'
hvt_run --mem=4097 "$HVT_APPS/hello.hvt"
expect_output "--mem=4097 refused" 'need a number of MiB in 2..4096'
# The largest guest: hello touches both ends of a ~4 GiB heap.
hvt_run --mem=4096 "$HVT_APPS/hello.hvt"
expect_success "hello in 4096 MiB"
hvt_run "$tmp/nosuch.hvt"
expect_output "missing image" 'nosuch.hvt: No such file'

# No /dev/kvm, and no permission on it (needs root to arrange).
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; then
    OUT=$(unshare -m sh -c 'mount -t tmpfs none /dev && exec "$0" "$@"' \
        "$HVT" "$HVT_APPS/hello.hvt" 2>&1)
    RC=$?
    expect_rc "no /dev/kvm" 1
    expect_output "no /dev/kvm message" '/dev/kvm does not exist'
    cp "$HVT" "$HVT_APPS/hello.hvt" "$tmp/"
    chmod 755 "$tmp"
    OUT=$(unshare -m sh -c 'mount -t tmpfs none /dev &&
        mknod -m 600 /dev/kvm c 10 232 && exec setpriv --reuid=65534 \
        --regid=65534 --clear-groups "$0" "$@"' \
        "$tmp/tibra-hvt" "$tmp/hello.hvt" 2>&1)
    RC=$?
    expect_rc "no permission on /dev/kvm" 1
    expect_output "permission message" '/dev/kvm: permission denied'
fi

# The hello image: small, stripped, with its manifest, runs in 2 MiB.
size=$(stat -c %s "$HVT_APPS/hello.hvt")
if [ "$size" -le 32768 ]; then ok "hello.hvt is $size bytes (<= 32768)"
else bad "hello.hvt size" "$size bytes > 32768"; fi
if readelf -S "$HVT_APPS/hello.hvt" | grep -qE '\.symtab|\.debug_'; then
    bad "hello.hvt stripped" "has .symtab or debug sections"
else ok "hello.hvt stripped"; fi
hvt_run --mem=2 "$HVT_APPS/hello.hvt" one two
expect_success "hello in 2 MiB"
expect_output "hello cmdline" "^cmdline: 'one two'$"
finish hvt_image
