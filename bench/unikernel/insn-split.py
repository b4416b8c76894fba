#!/usr/bin/python3
# bench/unikernel/insn-split.py -- splits an hvt guest's emulated
# instructions at the moments firstans saw (READY on the console, the first
# correct answer) and names the guest functions they were spent in.
#
#   perf script -i PERF.DATA --ns -F time,event,trace |
#       insn-split.py FIRSTANS-LINE GUEST.dbg [TOP]
#
# PERF.DATA: `perf record -k CLOCK_MONOTONIC -e kvm:kvm_emulate_insn
# -e kvm:kvm_pio` of the tender, whose timestamps are on firstans's clock
# (CLOCK_MONOTONIC).  FIRSTANS-LINE: firstans's result line (t0_ns, t1_ns,
# tready_ns).  GUEST.dbg: the image with symbols (the build keeps it
# beside the stripped image).  Prints one line
#
#   insn_ready=A insn_first=B insn_after=C pio_ready=D pio_first=E
#
# (instructions emulated from the start to READY, to the first answer,
# and after it until the tender was stopped; port-I/O exits likewise),
# then the TOP (10) functions of each phase.  Under PVM every guest
# instruction is emulated, so kvm_emulate_insn counts guest instructions,
# except that a rep-prefixed string instruction counts once per chunk.
import bisect
import collections
import re
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: perf script ... | insn-split.py FIRSTANS-LINE "
                 "GUEST.dbg [TOP]")
    kv = dict(re.findall(r"(\w+)=([\d.\-]+)", sys.argv[1]))
    t1 = int(kv["t1_ns"])
    tr = int(kv.get("tready_ns", "0")) or t1
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 10

    syms = []
    # Without symbols (nm fails) the functions are shown as "?".
    out = subprocess.run(["nm", "-n", "--defined-only", sys.argv[2]],
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 3 and f[1] in "tTwW":
            syms.append((int(f[0], 16), f[2]))
    addrs = [a for a, _ in syms]

    def sym(rip):
        i = bisect.bisect_right(addrs, rip) - 1
        return syms[i][1] if i >= 0 else "?"

    n = [0, 0, 0]
    pio = [0, 0, 0]
    prof = [collections.Counter() for _ in range(3)]
    rips = [collections.Counter() for _ in range(3)]
    # "  2082.530856634:  kvm:kvm_emulate_insn:  0:100002:e8 e9 ... (prot64)"
    for line in sys.stdin:
        f = line.split()
        if len(f) < 3:
            continue
        sec, _, frac = f[0].rstrip(":").partition(".")
        try:
            t = int(sec) * 1000000000 + int(frac.ljust(9, "0")[:9])
        except ValueError:
            continue
        ph = 0 if t <= tr else 1 if t <= t1 else 2
        if f[1].startswith("kvm:kvm_pio"):
            pio[ph] += 1
        elif f[1].startswith("kvm:kvm_emulate_insn"):
            n[ph] += 1
            parts = f[2].split(":")
            if len(parts) >= 2:
                rips[ph][parts[1]] += 1
    for ph in range(3):
        for r, c in rips[ph].items():
            prof[ph][sym(int(r, 16))] += c
    print("insn_ready=%d insn_first=%d insn_after=%d pio_ready=%d "
          "pio_first=%d" % (n[0], n[0] + n[1], n[2], pio[0], pio[0] + pio[1]))
    for ph, what in ((0, "start -> READY"), (1, "READY -> first answer")):
        tot = n[ph] or 1
        print("top functions, %s (%d instructions):" % (what, n[ph]))
        for s, c in prof[ph].most_common(top):
            print("  %9d %5.1f%%  %s" % (c, 100.0 * c / tot, s))


if __name__ == "__main__":
    main()
