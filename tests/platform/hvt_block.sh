#!/usr/bin/env bash
# hvt_block.sh -- the block application under tibra-hvt on a 64 KiB file:
# multi-block writes and reads verified, the contract's refusals, and the
# marker it writes found in the file at offset 512.  The image is small
# because where KVM emulates the guest (PVM hosts) the app's byte-by-byte
# verification costs about a microsecond per instruction.  Also: a file
# whose size is not a multiple of 512 is refused.
. "$(dirname "$0")/hvt_lib/hvt.sh"
hvt_require hvt_block

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
truncate -s 64K "$tmp/disk.img"
hvt_run --mem=2 --block:storage="$tmp/disk.img" "$HVT_APPS/block.hvt"
expect_success "block app"
expect_output "capacity" '^block: capacity 65536 bytes, block size 512$'
if [ "$(dd if="$tmp/disk.img" bs=1 skip=512 count=14 2>/dev/null)" = \
    "TIBRA-BLOCK-OK" ]; then ok "marker in file"; else
    bad "marker in file" "not at offset 512"; fi
# The pattern of block 7 (written by a 7-block write) reached the file.
want=$(python3 -c 'import sys
b = 7
sys.stdout.write("".join("%02x" % ((b * 131 + i * 7 + (b >> 8)) & 255)
                         for i in range(16)))')
got=$(od -An -tx1 -j $((7 * 512)) -N 16 "$tmp/disk.img" | tr -d ' \n')
if [ "$got" = "$want" ]; then ok "block 7 pattern in file"; else
    bad "block 7 pattern in file" "got $got want $want"; fi

truncate -s 1000 "$tmp/odd.img"
hvt_run --block:storage="$tmp/odd.img" "$HVT_APPS/block.hvt"
expect_rc "odd-sized file refused" 1
expect_output "odd-sized file message" 'not a non-zero multiple of 512'
finish hvt_block
