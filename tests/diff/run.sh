#!/usr/bin/env bash
# tests/diff/run.sh -- differential test: Tibra's tibra-dnsd against NSD and
# Knot DNS on the same zones (tests/diff/zones/) and the same queries
# (tests/diff/queries).
#
# Starts nsd (-d, generated nsd.conf, rrl-ratelimit 0, stopped through its
# pidfile), knotd (generated knot.conf, its own rundir and storage) and
# tibra-dnsd (generated service file) on three free ports of 127.0.0.1, all
# in one temporary directory, then runs tests/diff/dnsdiff.py, which sends
# every query to all three, normalises and compares.  Every divergence of
# Tibra from a reference must be listed in tests/diff/KNOWN with its reason.
#
# Exit: 0 pass; 77 (with a SKIP line) only when nsd or knotd is absent; else
# fail -- including when tibra-dnsd is not built, since the test exists to
# be passed.  DIFF_PEERS_ONLY=1 compares NSD with Knot alone and prints
# where they disagree (a tool for writing KNOWN, never a pass of this test).
# The report with every normalised answer is written to
# $TIBRA_BUILD/diff/run-report.txt, where NSD and Knot disagree to
# run-peers.txt.  DIFF_NAME, DIFF_ZONE_DIR, DIFF_ZONES, DIFF_CORPUS,
# DIFF_KNOWN and DIFF_ARGS let another test reuse this one (genzone.sh).
#
# Only PIDs started here are stopped; every wait is bounded.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${TIBRA_SRC:-$(cd "$here/../.." && pwd)}
build=${TIBRA_BUILD:-$src/build}
unix=${TIBRA_UNIX:-$build/unix-$(uname -m)}
py=/usr/bin/python3
# Another test (genzone.sh) reuses this one with its own zones and corpus.
name=${DIFF_NAME:-diff/run}
zone_src=${DIFF_ZONE_DIR:-$here/zones}
zone_names=${DIFF_ZONES:-example.org child.example.org example.net}
corpus=${DIFF_CORPUS:-$here/queries}
known=${DIFF_KNOWN:-$here/KNOWN}
out_name=${name#diff/}

nsd_bin=$(command -v nsd || echo /usr/sbin/nsd)
knot_bin=$(command -v knotd || echo /usr/sbin/knotd)
if [ ! -x "$nsd_bin" ] || [ ! -x "$knot_bin" ]; then
    echo "SKIP $name: nsd and knotd are needed (deps.txt group test)"
    exit 77
fi
if ! "$py" -c 'import dns.message' 2>/dev/null; then
    echo "FAIL $name: $py cannot import dns (apt-get install python3-dnspython)"
    exit 1
fi

peers_only=${DIFF_PEERS_ONLY:-0}
tibra=${TIBRA_DNSD:-}
if [ -z "$tibra" ]; then
    for c in "$unix/app/dnsd/tibra-dnsd" "$unix/tibra-dnsd" \
        "$unix/bin/tibra-dnsd" "$build/bin/tibra-dnsd"; do
        [ -x "$c" ] && { tibra=$c; break; }
    done
fi
if [ "$peers_only" != 1 ] && [ ! -x "$tibra" ]; then
    echo "FAIL $name: tibra-dnsd not found (looked in $unix/app/dnsd," \
        "$unix, $unix/bin; set TIBRA_DNSD=path to override)"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-diff.XXXXXX")
pids=()
# ours PID: true while PID runs one of our servers (its command line names
# our temporary directory), so that a PID reused by someone else is never
# signalled.
ours() {
    tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -qF "$tmp/"
}
stop_all() {
    local p i
    for p in "${pids[@]}"; do
        ours "$p" && kill -TERM "$p" 2>/dev/null
    done
    for p in "${pids[@]}"; do
        for i in $(seq 50); do
            ours "$p" || break
            sleep 0.1
        done
        ours "$p" && kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    pids=()
}
cleanup() {
    # NSD: the pidfile names the main process (the one we started).
    if [ -s "$tmp/nsd/nsd.pid" ]; then
        local np
        np=$(cat "$tmp/nsd/nsd.pid" 2>/dev/null)
        [ -n "$np" ] && ours "$np" && kill -TERM "$np" 2>/dev/null
    fi
    stop_all
    rm -rf "$tmp"
}
cmp_pid=""
trap cleanup EXIT
trap '[ -n "$cmp_pid" ] && kill -TERM "$cmp_pid" 2>/dev/null; exit 1' \
    INT TERM HUP

zones="$tmp/zones"
mkdir -p "$zones" "$tmp/nsd" "$tmp/knot" "$tmp/tibra"
for z in $zone_names; do cp "$zone_src/$z.zone" "$zones/"; done

read -r p_nsd p_knot p_tibra <<EOF
$("$py" "$here/dnsdiff.py" ports 3)
EOF

# --- NSD ---------------------------------------------------------------------
{
    cat <<EOF
server:
    ip-address: 127.0.0.1@$p_nsd
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$zones"
    zonelistfile: "$tmp/nsd/zone.list"
    xfrdfile: "$tmp/nsd/xfrd.state"
    xfrdir: "$tmp/nsd"
    pidfile: "$tmp/nsd/nsd.pid"
    logfile: "$tmp/nsd/nsd.log"
    identity: "tibra-diff"
    version: "tibra-diff"
    nsid: "ascii_tibra-diff"
    hide-version: no
    rrl-ratelimit: 0
    minimal-responses: yes
    verbosity: 1
remote-control:
    control-enable: no
EOF
    for z in $zone_names; do
        printf 'zone:\n    name: "%s"\n    zonefile: "%s/%s.zone"\n' \
            "$z" "$zones" "$z"
    done
} >"$tmp/nsd/nsd.conf"

# --- Knot --------------------------------------------------------------------
{
    cat <<EOF
server:
    rundir: "$tmp/knot"
    listen: 127.0.0.1@$p_knot
    identity: "tibra-diff"
    version: "tibra-diff"
    nsid: "tibra-diff"
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$tmp/knot/knot.sock"
database:
    storage: "$tmp/knot"
log:
  - target: stderr
    any: info
template:
  - id: default
    storage: "$tmp/knot"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
EOF
    for z in $zone_names; do
        printf '  - domain: %s\n    file: "%s/%s.zone"\n' "$z" "$zones" "$z"
    done
} >"$tmp/knot/knot.conf"

# --- Tibra -------------------------------------------------------------------
{
    printf 'service: name diff; target unix\n'
    printf '         listen 127.0.0.1@%s\n' "$p_tibra"
    printf '         workers 1; identity "tibra-diff"; version "tibra-diff"\n'
    printf '         nsid tibra-diff\n'
    for z in $zone_names; do
        printf 'zone:    %s; file %s/%s.zone\n' "$z" "$zones" "$z"
    done
} >"$tmp/tibra/diff.conf"

start() { # label logfile cmd...
    local label=$1 log=$2
    shift 2
    "$@" >"$log" 2>&1 </dev/null &
    pids+=($!)
    echo "started $label (pid $!): $*"
}

start nsd "$tmp/nsd/stdout.log" "$nsd_bin" -d -c "$tmp/nsd/nsd.conf"
start knot "$tmp/knot/stdout.log" "$knot_bin" -c "$tmp/knot/knot.conf"
servers=(--server "nsd=127.0.0.1:$p_nsd" --server "knot=127.0.0.1:$p_knot")
if [ "$peers_only" != 1 ]; then
    start tibra "$tmp/tibra/stdout.log" "$tibra" "$tmp/tibra/diff.conf"
    servers+=(--server "tibra=127.0.0.1:$p_tibra")
fi

show_logs() {
    local f
    for f in "$tmp"/nsd/*.log "$tmp"/knot/*.log "$tmp"/tibra/*.log; do
        [ -s "$f" ] || continue
        echo "--- $f (last 20 lines)"
        tail -n 20 "$f"
    done
}

ready=1
for spec in "nsd=$p_nsd" "knot=$p_knot" "tibra=$p_tibra"; do
    label=${spec%%=*}
    [ "$label" = tibra ] && [ "$peers_only" = 1 ] && continue
    for z in $zone_names; do
        if ! "$py" "$here/dnsdiff.py" wait "127.0.0.1:${spec#*=}" "$z" \
            --timeout 15; then
            echo "FAIL $name: $label does not serve $z"
            ready=0
            break
        fi
    done
done
if [ $ready = 0 ]; then
    show_logs
    exit 1
fi

mkdir -p "$build/diff"
args=(run --corpus "$corpus" --known "$known"
    --report "$build/diff/$out_name-report.txt"
    --peers-summary "$build/diff/$out_name-peers.txt" "${servers[@]}")
# shellcheck disable=SC2206
args+=(${DIFF_ARGS:-})
[ "$peers_only" = 1 ] && args+=(--peers-verbose)
# In the background, so that a TERM from the test runner's timeout is
# handled at once (bash runs traps only between foreground commands).
"$py" "$here/dnsdiff.py" "${args[@]}" &
cmp_pid=$!
wait "$cmp_pid"
rc=$?
cmp_pid=""
echo "report: $build/diff/$out_name-report.txt; NSD/Knot:" \
    "$build/diff/$out_name-peers.txt"
if [ "$peers_only" = 1 ]; then
    echo "DIFF_PEERS_ONLY=1: NSD and Knot only; this is not a pass of $name"
    exit 1
fi
# A server that died during the run explains everything after it.
for p in "${pids[@]}"; do
    if ! kill -0 "$p" 2>/dev/null; then
        echo "FAIL $name: server pid $p exited during the run"
        show_logs
        rc=1
    fi
done
exit $rc
