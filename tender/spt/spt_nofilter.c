/*
 * spt_nofilter.c -- a TEST-ONLY build of tibra-spt without its seccomp
 * filter, used by tests/platform/unix_aarch64.sh to run aarch64 spt images
 * under qemu-user, which cannot apply seccomp filters (they would confine
 * qemu itself).  Everything else -- image checks, mapping, the entry
 * trampoline, the ops table, fault reports -- is the real tender's code.
 * Built only by `make platform-cross`; never installed.
 */
#define SPT_NO_FILTER 1
#include "spt_main.c"
