/*
 * boot.S -- first instructions of an hvt guest, and the exception entry
 * stubs.  tibra-hvt enters _start in 64-bit long mode with paging on,
 * interrupts off, %rdi = boot info and %rsp = top of guest memory (the
 * stack, with a guard page below it).  _start clears .bss (the tender has
 * zeroed it too; we do not rely on that), points %fs at a small block
 * whose word at 0x28 holds a canary (for code built with the default
 * TLS-based stack protector guard) and calls hvt_start(), which never
 * returns.
 *
 * Each exception vector 0..31 has a stub that pushes an error code (0
 * when the CPU pushes none) and the vector number, then exc_common saves
 * the general registers so the frame matches struct hvt_trap_frame
 * (fault.c) and calls hvt_trap(frame), which never returns.  Stubs run on
 * IST1, a dedicated stack, so a stack overflow still reports.
 */
#define MSR_FS_BASE 0xc0000100

    .section .text.boot, "ax"
    .globl _start
    .type _start, @function
_start:
    movq %rdi, %rbx                 /* boot info, callee-saved */
    leaq __bss_start(%rip), %rdi
    leaq _ebss(%rip), %rcx
    subq %rdi, %rcx
    xorl %eax, %eax
    cld
    rep stosb
    /* %fs base -> hvt_fs_block; canary at %fs:0x28 from boot entropy. */
    leaq hvt_fs_block(%rip), %rax
    movq %rax, %rdx
    shrq $32, %rdx
    movl $MSR_FS_BASE, %ecx
    wrmsr
    movq 48(%rbx), %rax             /* hvt_boot_info.entropy[0] */
    xorb %al, %al
    movq %rax, hvt_fs_block+0x28(%rip)
    movq %rbx, %rdi
    xorl %ebp, %ebp
    call hvt_start
    ud2
    .size _start, . - _start

    .text
.macro EXC vec, has_err
    .align 16
exc_\vec:
    .if \has_err == 0
    pushq $0
    .endif
    pushq $\vec
    jmp exc_common
.endm

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

    .section .rodata
    .align 8
    .globl hvt_trap_stubs
hvt_trap_stubs:
    .irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad exc_\v
    .endr

    .bss
    .align 64
    .globl hvt_fs_block
hvt_fs_block:
    .skip 64

    .section .note.GNU-stack, "", @progbits
