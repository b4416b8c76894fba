# tibra.bash -- shared helpers for the tibra build/verify/inspect tests
# (sourced, not run: the runner only runs *.sh).  Every build happens in a
# temporary directory on copies of examples/, removed on exit.
#
#   tb_setup NAME TIBRA        checks the tool and its library; sets TMP, TB
#   tb_tree DIR                copies examples/ns1*.conf and zones/ to DIR
#   tb_as_other CMD...         runs CMD as another user with another umask
#                              and a hostile environment (see below)
#   tb_sha FILE                its SHA-256
#   expect WHAT GOT WANT       fails unless equal
#   expect_match WHAT GOT RE   fails unless GOT matches the extended RE
set -u

fail() {
    echo "FAIL $TEST_NAME: $*"
    exit 1
}
skip() {
    echo "SKIP $TEST_NAME: $*"
    exit 77
}
expect() {
    [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
    echo "ok   $1"
}
expect_match() {
    printf '%s\n' "$2" | grep -Eq -- "$3" || fail "$1: '$2' does not match /$3/"
    echo "ok   $1"
}

tb_setup() {
    TEST_NAME=$1
    TB=$2
    [ -x "$TB" ] || fail "$TB not built"
    [ -d "$(dirname "$TB")/../lib/tibra" ] ||
        fail "no staged library beside $TB (make stage)"
    TMP=$(mktemp -d "${TMPDIR:-/tmp}/tibra-tb.XXXXXX")
    chmod 755 "$TMP"
    trap 'rm -rf "$TMP"' EXIT
    trap 'exit 1' INT TERM
    tb_other_copy
}

# TB_OTHER: the tibra that tb_as_other runs.  As root that is a copy of
# the tool, its programs (the tenders) and its library in $TMP, readable
# by all: the tree under test may sit in a directory only root can enter
# (a fresh clone in a mktemp -d, as CI makes), and the other user must
# still reach the program it runs.  A copy also shows that where the
# tool is installed does not change what it builds.
tb_other_copy() {
    TB_OTHER=$TB
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        local top
        top=$(cd "$(dirname "$TB")/.." && pwd)
        mkdir -p "$TMP/inst/bin" "$TMP/inst/lib"
        [ -d "$top/bin" ] && cp -p "$top"/bin/* "$TMP/inst/bin/"
        cp -p "$TB" "$TMP/inst/bin/tibra"
        cp -pR "$top/lib/tibra" "$TMP/inst/lib/"
        chmod -R a+rX "$TMP/inst"
        TB_OTHER=$TMP/inst/bin/tibra
    fi
}

tb_tree() {
    mkdir -p "$1/zones"
    cp "$TIBRA_SRC"/examples/ns1.conf "$TIBRA_SRC"/examples/ns1-spt.conf "$1/"
    cp "$TIBRA_SRC"/examples/zones/example.org.zone "$1/zones/"
}

tb_sha() {
    sha256sum "$1" | cut -d' ' -f1
}

# Another user (nobody, when we are root), umask 077, a different TMPDIR,
# locale and time zone, a SOURCE_DATE_EPOCH of its own and the variables
# that steer gcc and ld if they leak into the link (they must not).
tb_as_other() {
    local who=()
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        who=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
    fi
    mkdir -p "$TMP/tmp-other"
    chmod 1777 "$TMP/tmp-other"
    (umask 077 && env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/nonexistent \
        TMPDIR="$TMP/tmp-other" LANG=de_DE.UTF-8 LC_ALL=de_DE.UTF-8 \
        TZ=Pacific/Auckland SOURCE_DATE_EPOCH=1 USER=other \
        GCC_EXEC_PREFIX=/nonexistent/ COMPILER_PATH=/nonexistent \
        LIBRARY_PATH=/nonexistent CFLAGS=-O0 LDFLAGS=-Wl,-Map=/tmp/x \
        DEB_BUILD_OPTIONS=nostrip "${who[@]}" "$@")
}

# Gives (dir) to the user tb_as_other runs as.
tb_give() {
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        chown -R nobody:nogroup "$1"
    fi
}

tb_other_user() {
    if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
        echo nobody
    else
        echo "$(id -un) (not root: same user)"
    fi
}

# tb_repro ARGS...: builds examples' services in two trees (different
# directories, mtimes, users, umasks, environments, a second apart) with
# `tibra build ARGS FILE` and compares images and records.  Sets
# REPRO_IMAGE_A (the first tree's image) for later steps.
tb_repro() { # label file target-suffix args...
    local label=$1 file=$2 suf=$3
    shift 3
    local a="$TMP/a" b="$TMP/b/a/much/longer/path"
    [ -d "$a" ] || tb_tree "$a"
    if [ ! -d "$b" ]; then
        tb_tree "$b"
        touch -d '2001-02-03 04:05:06' "$b"/*.conf "$b"/zones/*
        tb_give "$TMP/b"
    fi
    local out
    out=$( (cd "$a" && "$TB" build "$file" "$@") 2>&1) ||
        fail "$label: build in $a: $out"
    echo "     $out"
    sleep 1
    out=$(cd "$b" && tb_as_other "$TB_OTHER" build "$b/$file" "$@" 2>&1) ||
        fail "$label: build as $(tb_other_user) in $b: $out"
    echo "     $out"
    local ia="$a/dist/ns1.$suf" ib="$b/dist/ns1.$suf"
    [ -f "$ia" ] && [ -f "$ib" ] || fail "$label: no image ($ia, $ib)"
    echo "     $label: $(tb_sha "$ia") (as $(id -un)), $(tb_sha "$ib") (as $(tb_other_user))"
    expect "$label: same image in two trees" "$(tb_sha "$ib")" "$(tb_sha "$ia")"
    cmp -s "$ia.record" "$ib.record" ||
        fail "$label: records differ: $(diff "$ia.record" "$ib.record" | head -5)"
    echo "ok   $label: same build record"
    REPRO_IMAGE_A=$ia
}
