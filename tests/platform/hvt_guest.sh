#!/usr/bin/env bash
# hvt_guest.sh -- misbehaving hvt guests: tibra-hvt stops a guest that
# passes a hypercall pointer or length outside guest memory (overflowing
# ones included), a misaligned argument, or uses a port that is no
# hypercall, with a "guest fault" message and exit status 1 (never a
# signal); the guest's own exception handler reports page faults with the
# faulting address (CR2) and a register dump, exit 255, for a NULL load,
# a store into code, a jump into data, a store into the read-only boot
# info and a stack overflow into the guard page (the page tables carry the
# ELF permissions); a system call instruction is an invalid opcode; a
# smashed stack is caught by the canary.
. "$(dirname "$0")/hvt_lib/hvt.sh"
hvt_require hvt_guest

tmp=$(mktemp -d)
tap=""
cleanup() {
    [ -n "$tap" ] && ip tuntap del "$tap" mode tap 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
truncate -s 64K "$tmp/disk.img"
B="$HVT_BAD/badcall.hvt"
[ -f "$B" ] || { echo "SKIP hvt_guest: badcall.hvt not built"; exit 77; }
devs=(--block:storage="$tmp/disk.img")
# The net case needs a TAP interface: root only.
if [ "$(id -u)" -eq 0 ] && ip tuntap add "tbhvt$$" mode tap 2>/dev/null
then
    tap="tbhvt$$"
    devs+=(--net:service0="$tap")
fi

hc_case() { # NAME REGEX
    local c=$1 re=$2
    if [ "$c" = frames_oob ] && [ -z "$tap" ]; then return; fi
    hvt_run --mem=2 "${devs[@]}" "$B" "$c"
    expect_rc "hypercall $c stopped" 1
    expect_output "hypercall $c message" "guest fault: $re"
    if printf '%s\n' "$OUT" | grep -q 'NOT STOPPED'; then
        bad "hypercall $c" "the guest went on"; fi
}
hc_case console_oob \
    'console hypercall: buffer \[0x1ffff0, \+0x40\) outside guest memory'
hc_case console_wrap \
    'console hypercall: buffer \[0xfffffffffffffff0, \+0x20\) outside'
hc_case console_low 'console hypercall: buffer \[0x2000, \+0x40\) outside'
hc_case arg_oob 'console hypercall: argument \[0x201000, \+0x10\) outside'
hc_case arg_unaligned \
    'exit hypercall: argument at 0x[0-9a-f]+ not 8-byte aligned'
hc_case block_oob 'block_read hypercall: buffer \[0x1ffe00, \+0x400\) outside'
hc_case frames_oob 'net_write hypercall: frames \[0x1fffe8, \+0x60\) outside'
hc_case bad_port 'bad port access \(port 0x50f'

pf_case() { # NAME ADDRESS-REGEX KIND-REGEX
    local c=$1
    hvt_run --mem=2 "${devs[@]}" "$B" "$c"
    expect_rc "page fault $c" 255
    expect_output "page fault $c address" \
        "page fault at address $2 \\($3\\)"
    expect_output "page fault $c CR2 in dump" "cr2 0x0*${2#0x}"
    if printf '%s\n' "$OUT" | grep -q 'NOT STOPPED'; then
        bad "page fault $c" "the guest went on"; fi
}
pf_case write_text '0x1[0-9a-f]{5}' 'protection violation, write'
pf_case exec_data '0x1[0-9a-f]{5}' 'protection violation, instruction fetch'
pf_case write_bootinfo '0x8000' 'protection violation, write'
pf_case stack_overflow '0x1effff8|0x1ef[0-9a-f]{3}' 'page not present, write'

# The platform test apps' misbehaving guests, as hvt sees them.
hvt_run --mem=2 "$HVT_APPS/fault.hvt"
expect_rc "fault.hvt" 255
expect_output "fault.hvt CR2" '^ *cr2 0x0000000000000010 '
expect_output "fault.hvt register dump" \
    '^ *rip 0x[0-9a-f]{16} +rsp 0x[0-9a-f]{16}'
hvt_run --mem=2 "$HVT_APPS/syscall.hvt" getpid
expect_rc "syscall.hvt" 255
expect_output "syscall.hvt is #UD" 'exception 6 \(invalid opcode\)'
hvt_run --mem=2 "$HVT_APPS/ssp.hvt"
expect_rc "ssp.hvt" 255
expect_output "ssp.hvt" 'stack smashing detected'

# The host is unharmed: the same tender still runs a good guest.
hvt_run --mem=2 "$HVT_APPS/hello.hvt"
expect_success "hello after the misbehaving guests"
finish hvt_guest
