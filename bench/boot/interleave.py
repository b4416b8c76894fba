#!/usr/bin/python3
"""interleave.py -- times commands round-robin (one run of each in turn,
ROUNDS times) so that a shared machine's changing load falls on all of
them alike; bench/boot/run.sh prints this beside hyperfine's sequential
figures.  Each run is posix_spawn + waitpid with stdout/stderr to
/dev/null, timed with perf_counter_ns; a run that exits non-zero aborts.

usage: interleave.py ROUNDS CMD [CMD...]   (each CMD one string, split on
spaces).  Prints one line per command: median min p90 (ms).
"""
import os
import statistics
import sys
import time


def main():
    rounds = int(sys.argv[1])
    cmds = [c.split() for c in sys.argv[2:]]
    devnull = os.open(os.devnull, os.O_WRONLY)
    acts = [(os.POSIX_SPAWN_DUP2, devnull, 1), (os.POSIX_SPAWN_DUP2,
                                                  devnull, 2)]
    times = [[] for _ in cmds]
    for _ in range(rounds):
        for i, argv in enumerate(cmds):
            t0 = time.perf_counter_ns()
            pid = os.posix_spawn(argv[0], argv, os.environ,
                                 file_actions=acts)
            _, status = os.waitpid(pid, 0)
            t1 = time.perf_counter_ns()
            if os.waitstatus_to_exitcode(status) != 0:
                sys.exit("interleave.py: %s failed" % " ".join(argv))
            times[i].append((t1 - t0) / 1e6)
    for t in times:
        t.sort()
        print("%.3f %.3f %.3f" % (statistics.median(t), t[0],
                                  t[int(len(t) * 0.9) - 1]))


if __name__ == "__main__":
    main()
