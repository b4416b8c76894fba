#!/usr/bin/env bash
# dnsd_sanitized -- the query, reload and options scenarios again, against
# tibra-dnsd built with ASan+UBSan ($TIBRA_CHECK/tibra-dnsd): real traffic,
# TCP edge cases, reloads racing queries and shutdown, checked for memory
# errors, undefined behaviour and leaks (a report makes the server exit
# non-zero or die, which fails the scenario).
set -u
here=$(cd "$(dirname "$0")" && pwd)
san=${TIBRA_CHECK:-build/check-$(uname -m)}/tibra-dnsd
if [ ! -x "$san" ]; then
    echo "SKIP dnsd_sanitized: $san not built (make check-build)"
    exit 77
fi
if [ "${TIBRA_ARCH:-$(uname -m)}" != "$(uname -m)" ]; then
    echo "SKIP dnsd_sanitized: sanitizers are not run under qemu-user"
    exit 77
fi
dir=$(mktemp -d "${TMPDIR:-/tmp}/tibra-san.XXXXXX")
trap 'rm -rf "$dir"' EXIT
ln -s "$(cd "$(dirname "$san")" && pwd)/tibra-dnsd" "$dir/tibra-dnsd"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:exitcode=99
rc=0
for t in dnsd_query dnsd_reload dnsd_options dnsd_tcp; do
    echo "== $t (ASan+UBSan)"
    TIBRA_UNIX=$dir bash "$here/$t.sh" || rc=1
done
[ $rc -eq 0 ] && echo SUCCESS
exit $rc
