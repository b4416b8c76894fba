#!/usr/bin/env bash
# Every tracked C file is as clang-format (Solo5's configuration,
# .clang-format; STYLE.md 2) writes it.  Fix with: clang-format -i FILE.
set -u
cd "$TIBRA_SRC"
if ! command -v clang-format >/dev/null 2>&1; then
    echo "SKIP format: clang-format is not installed"
    exit 77
fi
bad=0 n=0
for f in $(git ls-files '*.c' '*.h'); do
    n=$((n + 1))
    if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
        echo "not formatted: $f"
        bad=$((bad + 1))
    fi
done
echo "$n files checked, $bad not formatted"
[ "$bad" -eq 0 ]
