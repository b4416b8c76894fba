#!/usr/bin/env bash
# image_size.sh -- the spt hello image is small and stripped: at most
# 32 KiB, no symbol table, while hello.spt.dbg keeps its symbols and debug
# information for debugging.
. "$(dirname "$0")/lib/platform.sh"

img="$APPS_G/hello.spt"
if [ ! -f "$img" ]; then
    echo "SKIP image_size: hello.spt not built"
    exit 77
fi
size=$(stat -c %s "$img")
if [ "$size" -le 32768 ]; then ok "hello.spt is $size bytes (<= 32768)"
else bad "hello.spt size" "$size bytes > 32768"; fi
READELF=readelf
[ "${TIBRA_ARCH:-$(uname -m)}" != "$(uname -m)" ] && READELF="${TIBRA_ARCH}-linux-gnu-readelf"
if $READELF -S "$img" | grep -qE '\.symtab|\.debug_'; then
    bad "hello.spt stripped" "has .symtab or debug sections"
else ok "hello.spt stripped"; fi
if $READELF -S "$img.dbg" 2>/dev/null | grep -q '\.debug_info'; then
    ok "hello.spt.dbg has debug info"
else bad "hello.spt.dbg" "missing or without .debug_info"; fi
if $READELF -n "$img" | grep -q 'Tibra'; then ok "hello.spt has its manifest"
else bad "hello.spt manifest" "no Tibra note"; fi
finish image_size
