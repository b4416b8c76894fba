#!/usr/bin/env bash
# Every public header compiles on its own, hosted and freestanding
# (STYLE.md 3: headers are self-contained).
set -eu
cd "$TIBRA_SRC"
cc=${CC:-cc}
inc="$(${cc} -print-file-name=include)"
n=0
for h in include/tibra/*.h include/tibra/*/*.h; do
    [ -f "$h" ] || continue
    rel=${h#include/}
    printf '#include <%s>\n' "$rel" |
        $cc -std=c11 -Wall -Wextra -Werror -Iinclude -I"$TIBRA_BUILD/gen" \
            -x c -fsyntax-only - || { echo "FAIL hosted: $h"; exit 1; }
    case "$rel" in tibra/dns/*|tibra/base.h|tibra/plat.h|tibra/dns.h|tibra/net.h|tibra/stack.h|tibra/svc.h)
        printf '#include <%s>\n' "$rel" |
            $cc -std=c11 -Wall -Wextra -Werror -ffreestanding -nostdinc \
                -isystem "$inc" -Iplatform/common/libc/include -Iinclude \
                -x c -fsyntax-only - || { echo "FAIL freestanding: $h"; exit 1; }
    esac
    n=$((n + 1))
done
echo "$n headers self-contained"
[ "$n" -gt 0 ]
