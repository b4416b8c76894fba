#!/usr/bin/env bash
# stub_link.sh -- every test application linked against platform/stub
# (every plat.h call traps), the guest libc and platform/common alone:
# the link in mk/platform.mk fails on any undefined symbol; this checks
# that the results exist with nothing undefined, and that the stub defines
# exactly the calls declared in include/tibra/plat.h.
. "$(dirname "$0")/lib/platform.sh"

stub="$TIBRA_GUEST/tests/platform/stub"
if [ ! -d "$stub" ]; then
    echo "SKIP stub_link: stub links not built (make check-build)"
    exit 77
fi
NM=nm
[ "${TIBRA_ARCH:-$(uname -m)}" != "$(uname -m)" ] && NM="${TIBRA_ARCH}-linux-gnu-nm"
# The functions plat.h declares, from the header itself.
decl=$(grep -oE '^[a-z_ ]*\b(tb_[a-z_]+)\(' "$TIBRA_SRC/include/tibra/plat.h" |
    grep -oE 'tb_[a-z_]+\(' | tr -d '(' | grep -v '^tb_app_main$' | sort -u)
[ -n "$decl" ] || { bad "plat.h" "no declarations found"; finish stub_link; }
# The stub defines every call plat.h declares (so "links against the stub"
# means "links against plat.h").
missing=""
for s in $decl; do
    $NM "$TIBRA_GUEST/platform/stub/stub.o" | grep -qE " T $s\$" ||
        missing="$missing $s"
done
if [ -z "$missing" ]; then ok "stub defines all $(echo $decl | wc -w) plat.h calls"
else bad "stub" "does not define:$missing"; fi
for app in hello clock net block syscall fault ssp; do
    f="$stub/$app"
    if [ ! -f "$f" ]; then bad "stub/$app" "not linked"; continue; fi
    OUT=$($NM -u "$f")
    if [ -n "$OUT" ]; then bad "stub/$app" "undefined symbols"; continue; fi
    ok "stub/$app links against plat.h alone"
done
finish stub_link
