#!/usr/bin/env bash
# Reproducible by construction (ARCHITECTURE.md "Build contexts"): build the
# tree twice, in two different output directories, and compare the hashes of
# every program, archive and image.  Any difference fails, with the list.
set -eu
cd "$TIBRA_SRC"
a="$TIBRA_BUILD/repro-a" b="$TIBRA_BUILD/repro-b"
rm -rf "$a" "$b"
trap 'rm -rf "$a" "$b"' EXIT
make -s -j2 O="$a" all >/dev/null
make -s -j2 O="$b" all >/dev/null
list() { (cd "$1" && find . -type f \( -name '*.a' -o -perm -u+x -o -name '*.img' -o -name '*.hvt' -o -name '*.spt' -o -name '*.tzc' \) ! -name '*.d' ! -name '*.o' | sort); }
la=$(list "$a") lb=$(list "$b")
if [ "$la" != "$lb" ]; then
    echo "different sets of outputs:"; diff <(echo "$la") <(echo "$lb") || true
    exit 1
fi
bad=0 n=0
for f in $la; do
    n=$((n + 1))
    if ! cmp -s "$a/$f" "$b/$f"; then
        echo "differs: $f"; bad=1
    fi
done
echo "$n outputs compared"
[ $n -gt 0 ] && [ $bad -eq 0 ]
