#!/usr/bin/env bash
# block.sh -- the block application on every available target, on a fresh
# 128 KiB file (256 blocks; every block is written and read back, and one
# hvt hypercall can take milliseconds under nested KVM): patterns written
# with multi-block calls and read back, the
# contract's refusals (past the end, misaligned, overflow, bad handle),
# and a marker that must then be in the file at offset 512.  Also checks
# the platforms' refusals: a missing file, an undeclared device name.
. "$(dirname "$0")/lib/platform.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

for t in $(plat_targets block); do
    img="$tmp/disk-$t.img"
    truncate -s 128K "$img"
    plat_run "$t" block --block:storage="$img" --
    expect_success "block/$t"
    if [ "$(dd if="$img" bs=1 skip=512 count=14 2>/dev/null)" = \
        "TIBRA-BLOCK-OK" ]; then ok "block/$t marker in file"; else
        bad "block/$t marker in file" "not at offset 512"; fi

    plat_run "$t" block --block:storage="$tmp/missing.img" --
    if [ "$RC" -ne 0 ] && printf '%s\n' "$OUT" | grep -q 'missing.img'; then
        ok "block/$t missing file refused"
    else bad "block/$t missing file refused" "exit $RC"; fi

    plat_run "$t" block --block:other="$img" --
    if [ "$RC" -ne 0 ] && printf '%s\n' "$OUT" | grep -q "'other'"; then
        ok "block/$t undeclared device refused"
    else bad "block/$t undeclared device refused" "exit $RC"; fi
done
finish block
