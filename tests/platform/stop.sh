#!/usr/bin/env bash
# stop.sh -- plat.h's stop request on every available target: SIGTERM to
# the unix program or to the tender (tibra-spt, tibra-hvt) reaches the
# application as tb_stop_requested(), which then exits cleanly (status 0,
# SUCCESS); an application that ignores it ("ignore": keeps yielding;
# "spin": never yields again) is ended TB_STOP_GRACE_MS (2 s) later with
# status 128 + 15 and a message; a repeated request changes nothing (two
# SIGTERMs at once, as timeout(1) sends them, still stop cleanly).
. "$(dirname "$0")/lib/platform.sh"

log=$(mktemp)
PID=
trap '[ -n "$PID" ] && kill -KILL "$PID" 2>/dev/null; rm -f "$log"' EXIT

# start TARGET ARGS...: runs the stop app in the background, waits for
# READY (5 s at most).
start() {
    local t=$1
    shift
    plat_cmd "$t" stop -- "$@"
    : >"$log"
    "${CMD[@]}" >"$log" 2>&1 </dev/null &
    PID=$!
    for _ in $(seq 50); do
        grep -q READY "$log" && return 0
        sleep 0.1
    done
    return 1
}

# reap: waits up to 10 s for the app to exit; sets RC, OUT, SECS
# (whole seconds from the first signal to the exit).
reap() {
    local t0=$SECONDS
    for _ in $(seq 100); do
        kill -0 "$PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$PID" 2>/dev/null
    wait "$PID"
    RC=$?
    PID=
    SECS=$((SECONDS - t0))
    OUT=$(cat "$log")
}

for t in $(plat_targets stop); do
    if ! start "$t"; then
        OUT=$(cat "$log")
        bad "stop/$t" "no READY"
        continue
    fi
    kill -TERM "$PID"
    reap
    expect_success "stop/$t: SIGTERM is a clean stop"

    for mode in ignore spin; do
        start "$t" "$mode" || { bad "stop/$t/$mode" "no READY"; continue; }
        kill -TERM "$PID"
        reap
        if [ "$RC" -ne 143 ]; then
            bad "stop/$t/$mode" "exit status $RC, expected 143"
        elif [ "$SECS" -lt 1 ] || [ "$SECS" -gt 5 ]; then
            bad "stop/$t/$mode" "ended after ${SECS} s, expected about 2"
        elif ! printf '%s\n' "$OUT" | grep -q 'still running'; then
            bad "stop/$t/$mode" "no message"
        else
            ok "stop/$t/$mode: ended after the grace period (exit $RC)"
        fi
    done

    start "$t" || { bad "stop/$t/twice" "no READY"; continue; }
    kill -TERM "$PID"
    kill -TERM "$PID"
    sleep 0.05
    kill -INT "$PID" 2>/dev/null
    reap
    expect_success "stop/$t/twice: repeated requests, one clean stop"
done
finish stop
