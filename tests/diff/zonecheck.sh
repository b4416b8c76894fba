#!/usr/bin/env bash
# zonecheck.sh -- differential accept/reject: every golden zone in
# tests/data/zone/*.in is checked by Tibra's zonecheck, nsd-checkzone
# (peer "nsd") and kzonecheck (peer "knot", Debian's knot-dnssecutils: the
# checks knotd runs at load, every finding an error).  Any peer that
# accepts what we reject, or rejects what we accept, is a failure unless
# tests/diff/KNOWN-zonecheck lists it as "FILE PEER VERDICT  # reason"
# (VERDICT = the peer's), or "FILE PEER content  # reason" for a zone
# whose records the peer reads differently (see below).
# kzonecheck checks the signatures of a zone whose SOA is signed against
# the time given: a fixed one (KZONECHECK_TIME) inside the validity of
# the signed golden zones (34_, 35_: 2024-01-01 to 2030-01-01), so that
# no verdict depends on today's date.
# NSD resolves $INCLUDE relative to its working directory, so it runs in
# tests/data/zone; Knot and Tibra resolve relative to the including file.
# Content, not just verdicts: for every zone both accept, NSD's own dump
# (nsd-checkzone -p) is read back by us and must give the same canonical
# dump as our reading of the original, ignoring case (NSD lowercases
# names); this checks every rdata parser against NSD's.
# Skips (77) when no peer is installed.
set -u
src=${TIBRA_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${TIBRA_BUILD:-$src/build}
ours=${TIBRA_UNIX:-$build/unix-$(uname -m)}/tests/diff/zonecheck
known=$src/tests/diff/KNOWN-zonecheck
dir=$src/tests/data/zone

if [ ! -x "$ours" ]; then
    echo "zonecheck.sh: $ours not built (make check-build)" >&2
    exit 1
fi
have_nsd=0 have_knot=0
command -v nsd-checkzone >/dev/null 2>&1 && have_nsd=1
command -v kzonecheck >/dev/null 2>&1 && have_knot=1
have_kdig=0
command -v knotd >/dev/null 2>&1 && command -v kdig >/dev/null 2>&1 &&
    have_kdig=1
if [ $have_nsd = 0 ] && [ $have_knot = 0 ]; then
    echo "SKIP zonecheck: neither nsd-checkzone nor kzonecheck installed"
    exit 77
fi
[ $have_knot = 0 ] &&
    echo "NOTE: no kzonecheck (knot-dnssecutils): no Knot verdicts"
KZONECHECK_TIME=${KZONECHECK_TIME:-20250101000000}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-zonecheck.XXXXXX")
kpid=
trap '[ -n "$kpid" ] && kill "$kpid" 2>/dev/null; rm -rf "$tmp"' EXIT

# knot_check ORIGIN FILE: kzonecheck's verdict (status); sets knot_loads
# to 1 when knotd would load the zone: kzonecheck accepts it, or its only
# findings are semantic checks (an "Error summary:"), which knotd's
# default semantic-checks (off) leave to warnings.
knot_check() {
    local rc
    timeout 20 kzonecheck -t "$KZONECHECK_TIME" -o "$1" "$2" \
        >"$tmp/kzonecheck.log" 2>&1
    rc=$?
    knot_loads=0
    { [ $rc = 0 ] || grep -q '^Error summary:' "$tmp/kzonecheck.log"; } &&
        knot_loads=1
    return $rc
}

# Serves (origin, file) with a throw-away knotd on loopback and writes
# its AXFR to $tmp/knot.txt.  The daemon is ours: started as a job and
# stopped by its PID (also on exit), never by name.
# Below Linux's ephemeral range (32768-60999): no client socket holds one.
kport=$((10000 + $$ % 9000))
knot_axfr() { # origin file
    local d attempt end
    : >"$tmp/knot.txt"
    # Up to 3 daemons, each on a fresh port (one that cannot bind -- the
    # port taken meanwhile -- dies, and the next tries another), each
    # given 20 s to load the zone (async) and transfer it: bounded, and
    # not by a count of quick failures that a slow start outlasts.
    for attempt in 1 2 3; do
        d=$(mktemp -d "$tmp/kd.XXXXXX")
        kport=$((kport + 1))
        cat >"$d/knot.conf" <<EOC
server:
    rundir: "$d"
    listen: 127.0.0.1@$kport
database:
    storage: "$d/db"
acl:
  - id: axfr
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$d"
    acl: axfr
zone:
  - domain: "$1"
    file: "$2"
EOC
        # In the foreground of a background job: $! is the daemon itself.
        knotd -c "$d/knot.conf" >"$d/knotd.log" 2>&1 &
        kpid=$!
        end=$((SECONDS + 20))
        while [ $SECONDS -lt $end ] && kill -0 "$kpid" 2>/dev/null; do
            timeout 5 kdig @127.0.0.1 -p $kport "$1" AXFR +noall +answer \
                +time=1 +retry=0 >"$tmp/knot.txt" 2>/dev/null
            grep -q "[[:space:]]SOA[[:space:]]" "$tmp/knot.txt" && break
            sleep 0.2
        done
        kill "$kpid" 2>/dev/null
        wait "$kpid" 2>/dev/null
        kpid=
        grep -q "[[:space:]]SOA[[:space:]]" "$tmp/knot.txt" && return 0
        echo "note: knotd on port $kport gave no AXFR of $1 (attempt $attempt):"
        tail -n 3 "$d/knotd.log" | sed 's/^/    /'
    done
    return 0
}

verdict() { [ "$1" -eq 0 ] && echo accept || echo reject; }

fail=0 n=0 divergent=0 ncmp=0 kcmp=0 used=""
for f in "$dir"/*.in; do
    b=$(basename "$f")
    origin=example.org.
    first=$(head -n1 "$f")
    case "$first" in "; origin: "*) origin=${first#; origin: } ;; esac
    n=$((n + 1))
    "$ours" -q "$origin" "$f" >/dev/null 2>&1
    us=$(verdict $?)
    peers="" knot_loads=0
    if [ $have_nsd = 1 ]; then
        (cd "$dir" && timeout 20 nsd-checkzone "$origin" "$b") \
            >/dev/null 2>&1
        peers="$peers nsd:$(verdict $?)"
    fi
    if [ $have_knot = 1 ]; then
        knot_check "$origin" "$f"
        peers="$peers knot:$(verdict $?)"
    fi
    skip_content=0
    grep -Eq "^$b[[:space:]]+nsd[[:space:]]+content([[:space:]]|$)" \
        "$known" 2>/dev/null && skip_content=1
    if [ $skip_content = 1 ]; then
        divergent=$((divergent + 1))
        used="$used $b:nsd:content"
    fi
    if [ $have_nsd = 1 ] && [ "$us" = accept ] && [ $skip_content = 0 ] &&
        [ "${peers#* nsd:}" != "$peers" ] &&
        [ "${peers#* nsd:accept}" != "$peers" ]; then
        (cd "$dir" && nsd-checkzone -p "$origin" "$b") >"$tmp/nsd.txt" \
            2>/dev/null
        ncmp=$((ncmp + 1))
        "$ours" -p "$origin" "$f" 2>/dev/null | tr A-Z a-z >"$tmp/a.txt"
        if ! "$ours" -p "$origin" "$tmp/nsd.txt" 2>/dev/null |
            tr A-Z a-z >"$tmp/b.txt" ||
            ! cmp -s "$tmp/a.txt" "$tmp/b.txt"; then
            echo "DIFF $b: NSD's dump of it reads differently:"
            diff "$tmp/a.txt" "$tmp/b.txt" | head -10
            fail=1
        fi
    fi
    # The same content check against Knot, through an AXFR of the zone
    # a throw-away knotd serves (when kdig is there too), for every zone
    # knotd loads (kzonecheck may still reject it: see knot_check).
    skip_kc=0
    grep -Eq "^$b[[:space:]]+knot[[:space:]]+content([[:space:]]|$)" \
        "$known" 2>/dev/null && skip_kc=1
    [ $skip_kc = 1 ] && { divergent=$((divergent + 1)); used="$used $b:knot:content"; }
    if [ $have_knot = 1 ] && [ $have_kdig = 1 ] && [ "$us" = accept ] &&
        [ $skip_kc = 0 ] && [ $knot_loads = 1 ]; then
        kcmp=$((kcmp + 1))
        knot_axfr "$origin" "$f"
        "$ours" -p "$origin" "$f" 2>/dev/null | tr A-Z a-z >"$tmp/a.txt"
        if ! "$ours" -p "$origin" "$tmp/knot.txt" 2>/dev/null |
            tr A-Z a-z >"$tmp/b.txt" ||
            ! cmp -s "$tmp/a.txt" "$tmp/b.txt"; then
            echo "DIFF $b: Knot serves it differently (AXFR):"
            diff "$tmp/a.txt" "$tmp/b.txt" | head -10
            fail=1
        fi
    fi
    for p in $peers; do
        peer=${p%%:*} v=${p#*:}
        [ "$v" = "$us" ] && continue
        if grep -Eq "^$b[[:space:]]+$peer[[:space:]]+$v([[:space:]]|$)" \
            "$known" 2>/dev/null; then
            divergent=$((divergent + 1))
            used="$used $b:$peer:$v"
            continue
        fi
        echo "DIFF $b: tibra ${us}s, $peer ${v}s (not in KNOWN-zonecheck)"
        fail=1
    done
done
# A KNOWN line that no longer matches a divergence (of an installed
# peer) is stale: the list stays exact.
while read -r b peer v _; do
    case "$b" in '' | '#'*) continue ;; esac
    [ "$peer" = nsd ] && [ $have_nsd = 0 ] && continue
    [ "$peer" = knot ] && [ $have_knot = 0 ] && continue
    case " $used " in
    *" $b:$peer:$v "*) ;;
    *) echo "STALE KNOWN-zonecheck: $b $peer $v"; fail=1 ;;
    esac
done <"$known"
echo "zonecheck: $n zones, $divergent known divergences," \
    "$ncmp dumps identical to NSD's reading, $kcmp to Knot's AXFR"
exit $fail
