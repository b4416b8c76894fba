/*
 * boot.S -- first instructions of an hvt guest, and the exception entry
 * stubs.  tibra-hvt enters _start in 64-bit long mode with paging on,
 * interrupts off, %rdi = boot info and %rsp = top of guest memory (the
 * stack, with a guard page below it).  _start calls hvt_start(), which
 * never returns; .bss is zero already (the tender's loader zeroes it).
 *
 * Each exception vector 0..31 has a stub that pushes an error code (0
 * when the CPU pushes none) and the vector number, then exc_common saves
 * the general registers so the frame matches struct hvt_trap_frame
 * (fault.c) and calls hvt_trap(frame), which never returns.  Stubs run on
 * IST1, a dedicated stack, so a stack overflow still reports.
 */
    .section .text.boot, "ax"
    .globl _start
    .type _start, @function
_start:
    /* .bss is already zero: the tender zeroes every segment's
     * [filesz, memsz) (hvt_abi.h), and clearing it again here would cost
     * ~10 ms where KVM emulates the guest (PVM hosts). */
    xorl %ebp, %ebp
    call hvt_start
    ud2
    .size _start, . - _start

    .section .text.traps, "ax"
.macro EXC vec, has_err
    .align 16
exc_\vec:
    .if \has_err == 0
    pushq $0
    .endif
    pushq $\vec
    jmp exc_common
.endm

    /* At HVT_TRAP_ENTRY (hvt.ld places .text.traps there), 16 bytes per
     * stub: fault.c's IDT is a constant table built from that address. */
    .globl hvt_trap_entry
hvt_trap_entry:
    EXC 0, 0
    EXC 1, 0
    EXC 2, 0
    EXC 3, 0
    EXC 4, 0
    EXC 5, 0
    EXC 6, 0
    EXC 7, 0
    EXC 8, 1
    EXC 9, 0
    EXC 10, 1
    EXC 11, 1
    EXC 12, 1
    EXC 13, 1
    EXC 14, 1
    EXC 15, 0
    EXC 16, 0
    EXC 17, 1
    EXC 18, 0
    EXC 19, 0
    EXC 20, 0
    EXC 21, 1
    EXC 22, 0
    EXC 23, 0
    EXC 24, 0
    EXC 25, 0
    EXC 26, 0
    EXC 27, 0
    EXC 28, 0
    EXC 29, 1
    EXC 30, 1
    EXC 31, 0

exc_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    andq $-16, %rsp
    call hvt_trap
    ud2

    .section .note.GNU-stack, "", @progbits
