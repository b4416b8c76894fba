#!/usr/bin/env bash
# tests/diff/genzone.sh -- the differential test at scale: a zone made by
# bench/gen-zone (5,000 names of mixed types, wildcards, delegations with
# glue; seeded, so always the same) and 2,000 queries in the benchmark's
# mix (existing, NXDOMAIN, NODATA, wildcard, referral), each sent three
# times -- plain UDP, UDP with EDNS and DO, TCP -- to NSD, Knot and
# tibra-dnsd through tests/diff/run.sh.  Compares the header, answer
# and authority sections, and the additional section of referrals (glue);
# the additional data of MX/SRV answers is left out because NSD, run
# minimal, omits it (tests/diff/KNOWN says why that is accepted).
# Divergences are accepted only through tests/diff/KNOWN-genzone, whose
# IDs are qLINE of the generated query file.  This is what makes the
# benchmark's figures comparable: the servers give the same answers.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${TIBRA_SRC:-$(cd "$here/../.." && pwd)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-genzone.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if ! /usr/bin/python3 "$src/bench/gen-zone" -n 5000 -q 2000 --seed 7 \
    "$tmp" >/dev/null; then
    echo "FAIL diff/genzone: bench/gen-zone failed"
    exit 1
fi
DIFF_NAME=diff/genzone DIFF_ZONE_DIR=$tmp DIFF_ZONES=bench.example \
    DIFF_CORPUS=$tmp/queries.txt DIFF_KNOWN=$here/KNOWN-genzone \
    DIFF_ARGS="--plain --variants ;+edns_+do;+tcp
        --sections answer,authority,additional-in-referrals" \
    bash "$here/run.sh" &
child=$!
# A TERM (the runner's timeout) goes to run.sh too, whose trap stops the
# servers it started.
trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 1' INT TERM HUP
wait "$child"
