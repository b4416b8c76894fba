#!/usr/bin/env bash
# bench/sign.sh -- time to sign a big zone (ECDSA P-256, NSEC3 without
# salt or extra iterations, KSK + ZSK) with Tibra's signer, Knot's
# kzonesign and BIND's dnssec-signzone, in one run, one thread each
# (never run by `make check`).
#
#   bench/sign.sh [-o OUTDIR]
#
# bench/gen-zone's zone with NAMES names (780,000 by default: about 1M
# records before signing) and two keys from `tibra key generate`, used
# by Tibra (bench/sign-zone: dns_sign_zone, then one update re-signed
# with dns_sign_resign, tibra-dnsd's path) and dnssec-signzone (-n 1, no
# post-sign verification); kzonesign makes its own keys of the same kind
# in its KASP database (its policy: the same algorithm and chain,
# signing-threads 1).  Wall-clock seconds of each (medians of ROUNDS, 1 by
# default), the ratios, and ldns-verify-zone on Tibra's output.  Prints a
# Markdown table and writes it to OUTDIR/sign.md, raw output to
# OUTDIR/logs/.
#
# Environment: O (build dir, default build), NAMES (780000), ROUNDS (1).
set -u
. "$(dirname "$0")/lib.sh"
bench_opts "bench/sign.sh [-o OUTDIR]" 0 "$@"
names=${NAMES:-780000}
rounds=${ROUNDS:-1}
signer=$O/unix-$arch/bench/sign-zone
tb=$O/host-$arch/tibra
bench_need kzonesign dnssec-signzone ldns-verify-zone taskset
for x in "$signer" "$tb"; do
    [ -x "$x" ] || { echo "bench: $x not built (make O=...)"; exit 1; }
done
bench_tmp sign
cd "$tmp" || exit 1 # dnssec-signzone writes its temporary file here

"$here/gen-zone" -n "$names" -q 1 "$tmp/z" >>"$bench_log"
zf=$tmp/z/$origin.zone
records=$(grep -cv '^\(;\|\$\|$\)' "$zf")
mkdir -p "$tmp/keys" "$tmp/knot" "$tmp/out"
"$tb" key generate --algorithm 13 --ksk "$origin" "$tmp/keys" >/dev/null &&
    "$tb" key generate --algorithm 13 "$origin" "$tmp/keys" >/dev/null ||
    { log "bench: tibra key generate failed"; exit 1; }
cat >"$tmp/knot/knot.conf" <<CONF
database:
    storage: $tmp/knot
template:
  - id: default
    storage: $tmp/knot
policy:
  - id: bench
    algorithm: ecdsap256sha256
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
    signing-threads: 1
zone:
  - domain: $origin
    file: $zf
    dnssec-signing: on
    dnssec-policy: bench
CONF

# secs CMD...: runs CMD on CPU 1, prints its wall-clock seconds (or
# "failed", the reason in the log).
secs() {
    local t0 t1
    t0=$(date +%s.%N)
    taskset -c 1 "$@" >>"$bench_log" 2>&1 ||
        { echo "bench: $* failed" >>"$bench_log"; echo failed; return; }
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l | xargs printf '%.2f\n'
}
# dnssec-signzone takes the key files' names without their extension,
# and wants the DNSKEY records in the zone.
mapfile -t keys < <(ls "$tmp/keys"/*.key | sed 's/\.key$//')
cat "$zf" "$tmp/keys"/*.key >"$tmp/z/bind.zone"
declare -a T K B
for r in $(seq "$rounds"); do
    T+=("$(secs "$signer" --nsec3 "$origin" "$zf" "$tmp/keys" "$tmp/out/tibra.zone")")
    rm -rf "$tmp/knot/keys" "$tmp/knot/journal" "$tmp/knot/timers"
    K+=("$(secs kzonesign -c "$tmp/knot/knot.conf" -o "$tmp/out" "$origin")")
    B+=("$(secs dnssec-signzone -n 1 -P -3 - -H 0 -o "$origin" \
        -f "$tmp/out/bind.zone" "$tmp/z/bind.zone" "${keys[@]}")")
    log "round $r: tibra ${T[-1]} s, knot ${K[-1]} s, bind ${B[-1]} s"
done
t=$(printf '%s\n' "${T[@]}" | median)
k=$(printf '%s\n' "${K[@]}" | median)
b=$(printf '%s\n' "${B[@]}" | median)
upd=$(grep 'one update' "$bench_log" | tail -1 | sed 's/^sign-zone: //')
sigs=$(grep -c '[[:space:]]RRSIG[[:space:]]' "$tmp/out/tibra.zone")
ldns-verify-zone "$tmp/out/tibra.zone" >>"$bench_log" 2>&1 &&
    verified=yes || verified=NO
{
    echo "# Signing a zone (ECDSA P-256, NSEC3, KSK + ZSK) (bench/sign.sh, $(date -u +%Y-%m-%d))"
    echo
    echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); $rounds round(s), medians of wall-clock seconds."
    echo
    echo "$records records before signing ($names names), $sigs RRSIGs in"
    echo "Tibra's output (ldns-verify-zone: $verified); one thread each."
    echo
    echo "| signer | seconds | Tibra / it |"
    echo "|---|---|---|"
    echo "| Tibra (lib/dns dns_sign_zone, BearSSL) | $t | 1 |"
    echo "| Knot kzonesign $(knotd -V | awk '{print $NF}') | $k | $(ratio "$t" "$k") |"
    echo "| BIND dnssec-signzone $(dnssec-signzone -V 2>&1 | awk '{print $2}') | $b | $(ratio "$t" "$b") |"
    echo
    echo "Tibra, $upd (one added name, tibra-dnsd's update path)."
} | tee "$out/sign.md"
