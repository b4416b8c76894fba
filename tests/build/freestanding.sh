#!/usr/bin/env bash
# lib/ builds as freestanding guest code (-nostdinc against the guest libc
# subset): the same objects serve the unix target and every guest.
set -eu
cd "$TIBRA_SRC"
make -s -j2 O="$TIBRA_BUILD" check-freestanding
n=$(ar t "$TIBRA_GUEST/libtibra.a" | wc -l)
echo "$n lib objects built freestanding"
[ "$n" -gt 0 ]
