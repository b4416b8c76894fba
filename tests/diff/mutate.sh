#!/usr/bin/env bash
# tests/diff/mutate.sh -- robustness companion of the differential test:
# tibra-dnsd serves tests/diff/zones/ and receives 2,000 seeded mutations
# (flipped bits, cuts, lying counts, inserted bytes, stray compression
# pointers, random flags; one in ten over TCP) of the queries in
# tests/diff/queries.  Each may be answered or dropped, but an answer must
# be a response to its query (QR set, same ID), the server must still
# answer the zone's SOA afterwards, and it must not have exited.  The
# mutations are the same every run (seed 1); DIFF_MUTATE_SEED and
# DIFF_MUTATE_COUNT change them.  Fails when tibra-dnsd is not built.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${TIBRA_SRC:-$(cd "$here/../.." && pwd)}
build=${TIBRA_BUILD:-$src/build}
unix=${TIBRA_UNIX:-$build/unix-$(uname -m)}
py=/usr/bin/python3
name=diff/mutate

if ! "$py" -c 'import dns.message' 2>/dev/null; then
    echo "FAIL $name: $py cannot import dns (apt-get install python3-dnspython)"
    exit 1
fi
tibra=${TIBRA_DNSD:-}
if [ -z "$tibra" ]; then
    for c in "$unix/tibra-dnsd" "$unix/app/dnsd/tibra-dnsd" \
        "$unix/bin/tibra-dnsd"; do
        [ -x "$c" ] && { tibra=$c; break; }
    done
fi
if [ ! -x "$tibra" ]; then
    echo "FAIL $name: tibra-dnsd not found in $unix (set TIBRA_DNSD)"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-mutate.XXXXXX")
pid=""
cmp_pid=""
# ours: true while $pid runs our server (its command line names $tmp).
ours() {
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$tmp/"
}
cleanup() {
    local i
    if [ -n "$pid" ]; then
        ours && kill -TERM "$pid" 2>/dev/null
        for i in $(seq 50); do ours || break; sleep 0.1; done
        ours && kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap '[ -n "$cmp_pid" ] && kill -TERM "$cmp_pid" 2>/dev/null; exit 1' \
    INT TERM HUP

read -r port <<EOF2
$("$py" "$here/dnsdiff.py" ports 1)
EOF2
{
    printf 'service: name mutate; target unix\n'
    printf '         listen 127.0.0.1@%s; workers 1\n' "$port"
    for z in example.org child.example.org example.net; do
        printf 'zone:    %s; file %s/zones/%s.zone\n' "$z" "$here" "$z"
    done
} >"$tmp/mutate.conf"
"$tibra" "$tmp/mutate.conf" >"$tmp/tibra.log" 2>&1 </dev/null &
pid=$!
echo "started tibra (pid $pid): $tibra $tmp/mutate.conf"
if ! "$py" "$here/dnsdiff.py" wait "127.0.0.1:$port" example.org \
    --timeout 15; then
    echo "FAIL $name: tibra-dnsd does not answer"
    tail -n 20 "$tmp/tibra.log"
    exit 1
fi
"$py" "$here/dnsdiff.py" mutate --corpus "$here/queries" \
    --count "${DIFF_MUTATE_COUNT:-2000}" --seed "${DIFF_MUTATE_SEED:-1}" \
    "127.0.0.1:$port" example.org &
cmp_pid=$!
wait "$cmp_pid"
rc=$?
cmp_pid=""
if ! kill -0 "$pid" 2>/dev/null; then
    echo "FAIL $name: tibra-dnsd exited during the run"
    rc=1
fi
[ $rc -ne 0 ] && tail -n 20 "$tmp/tibra.log"
exit $rc
