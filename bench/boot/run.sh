#!/usr/bin/env bash
# bench/boot/run.sh -- boot-to-exit time of the hello unikernel on Tibra's
# tenders (tibra-hvt, tibra-spt) side by side with Solo5's (solo5-hvt,
# solo5-spt running Solo5's own test_hello) and /bin/true, in one run, with
# hyperfine (or a timed loop of N runs when hyperfine is missing), then
# all commands again round-robin (bench/boot/interleave.py) so that a
# shared machine's load falls on each alike; then the image sizes.
# Prints Markdown tables for docs/BENCHMARKS-boot.md.
#
#   bench/boot/run.sh            (from the repository root)
#
# Environment:
#   O       Tibra build directory (default build); built here if needed
#   SOLO5   a Solo5 tree built OUTSIDE this repository (default
#           /work/peers/solo5: tenders/{hvt,spt}/solo5-{hvt,spt} and
#           tests/test_hello/test_hello.{hvt,spt}); skipped if absent
#   RUNS    runs per command (default 200), WARMUP (default 10)
#   HVT_MEM guest memory for tibra-hvt in MiB (default 2)
#   SOLO5_MEM guest memory for solo5-hvt in MiB (default 4, the least its
#           test_hello runs in; Solo5's default, 512, is measured too)
# Never run by `make check`.
set -eu
src=$(cd "$(dirname "$0")/../.." && pwd)
cd "$src"
O=${O:-build}
SOLO5=${SOLO5:-/work/peers/solo5}
RUNS=${RUNS:-200}
WARMUP=${WARMUP:-10}
HVT_MEM=${HVT_MEM:-2}
SOLO5_MEM=${SOLO5_MEM:-4}
arch=$(uname -m)
H="$O/host-$arch"
G="$O/guest-$arch"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

make -s -j2 O="$O" "$H/tender/hvt/tibra-hvt" "$H/tender/spt/tibra-spt" \
    "$G/tests/platform/apps/hello.hvt" "$G/tests/platform/apps/hello.spt" \
    >/dev/null

names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add "/bin/true" "/bin/true"
have_kvm=0
[ -r /dev/kvm ] && [ -w /dev/kvm ] && have_kvm=1
if [ $have_kvm = 1 ]; then
    add "tibra-hvt hello (--mem=$HVT_MEM)" \
        "$H/tender/hvt/tibra-hvt --mem=$HVT_MEM \
$G/tests/platform/apps/hello.hvt"
fi
add "tibra-spt hello" \
    "$H/tender/spt/tibra-spt $G/tests/platform/apps/hello.spt"
S5H="$SOLO5/tenders/hvt/solo5-hvt"
S5S="$SOLO5/tenders/spt/solo5-spt"
S5I="$SOLO5/tests/test_hello/test_hello"
if [ -x "$S5H" ] && [ -f "$S5I.hvt" ] && [ $have_kvm = 1 ]; then
    add "solo5-hvt test_hello (--mem=$SOLO5_MEM)" \
        "$S5H --mem=$SOLO5_MEM $S5I.hvt"
    add "solo5-hvt test_hello (default 512 MiB)" "$S5H $S5I.hvt"
fi
if [ -x "$S5S" ] && [ -f "$S5I.spt" ]; then
    add "solo5-spt test_hello" "$S5S $S5I.spt"
fi

# Every command must succeed before it is timed.
for i in "${!cmds[@]}"; do
    # shellcheck disable=SC2086
    if ! ${cmds[$i]} >/dev/null 2>&1; then
        echo "run.sh: '${cmds[$i]}' fails; not timing it" >&2
        exit 1
    fi
done

declare -A mean sd med min
if command -v hyperfine >/dev/null; then
    hv=$(hyperfine --version | awk '{print $2}')
    tool="hyperfine $hv -N, $WARMUP warmup, $RUNS runs"
    for i in "${!cmds[@]}"; do
        hyperfine -N -w "$WARMUP" -r "$RUNS" --output=null \
            --export-json "$out/$i.json" "${cmds[$i]}" >/dev/null 2>&1
        read -r mean[$i] sd[$i] med[$i] min[$i] < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(*("%.3f" % (r[k] * 1e3) for k in ("mean", "stddev", "median", "min")))
' "$out/$i.json")
    done
else
    tool="timed loop, $RUNS runs (no hyperfine)"
    for i in "${!cmds[@]}"; do
        : >"$out/$i.txt"
        for _ in $(seq "$RUNS"); do
            t0=$(date +%s%N)
            # shellcheck disable=SC2086
            ${cmds[$i]} >/dev/null 2>&1
            t1=$(date +%s%N)
            echo $(((t1 - t0) / 1000)) >>"$out/$i.txt"
        done
        read -r mean[$i] sd[$i] med[$i] min[$i] < <(python3 -c '
import statistics, sys
v = [int(x) / 1e3 for x in open(sys.argv[1])]
print(*("%.3f" % x for x in (statistics.mean(v), statistics.pstdev(v),
                             statistics.median(v), min(v))))
' "$out/$i.txt")
    done
fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')
# The same commands round-robin, so that load changes hit all alike.
mapfile -t inter < <(python3 bench/boot/interleave.py "$RUNS" "${cmds[@]}")

echo "Machine: $(uname -srm), $cpu, $(nproc) CPUs"
kvm="none"
[ $have_kvm = 1 ] && kvm="/dev/kvm"
[ -d /sys/module/kvm_pvm ] &&
    kvm="$kvm (kvm_pvm: PVM; guests not PVM-aware run emulated)"
[ -d /sys/module/kvm_intel ] && kvm="$kvm (kvm_intel)"
[ -d /sys/module/kvm_amd ] && kvm="$kvm (kvm_amd)"
echo "KVM: $kvm"
echo "Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Tool: $tool"
echo
echo "| command | mean (ms) | sd | median | min |"
echo "|---|---:|---:|---:|---:|"
for i in "${!cmds[@]}"; do
    printf '| %s | %s | %s | %s | %s |\n' "${names[$i]}" "${mean[$i]}" \
        "${sd[$i]}" "${med[$i]}" "${min[$i]}"
done
echo
echo "Interleaved (bench/boot/interleave.py, $RUNS rounds, posix_spawn):"
echo
echo "| command | median (ms) | min | p90 |"
echo "|---|---:|---:|---:|"
for i in "${!cmds[@]}"; do
    read -r a b c <<<"${inter[$i]}"
    printf '| %s | %s | %s | %s |\n' "${names[$i]}" "$a" "$b" "$c"
done
echo
echo "| image | bytes | stripped bytes |"
echo "|---|---:|---:|"
size_row() {
    [ -f "$2" ] || return 0
    strip -o "$out/s" "$2" 2>/dev/null || cp "$2" "$out/s"
    printf '| %s | %s | %s |\n' "$1" "$(stat -c %s "$2")" \
        "$(stat -c %s "$out/s")"
}
size_row "Tibra hello.hvt" "$G/tests/platform/apps/hello.hvt"
size_row "Tibra hello.spt" "$G/tests/platform/apps/hello.spt"
size_row "Solo5 test_hello.hvt" "$S5I.hvt"
size_row "Solo5 test_hello.spt" "$S5I.spt"
