#!/usr/bin/env bash
# vmmd_unit -- deploy/vmmd/tibra-vmmd.service passes systemd-analyze
# verify with no output at all (systemd 252 exits 0 on settings it
# ignores, so any message fails), its ExecStart pointed at the build
# tree's tibra-vmmd; and the options it passes are ones tibra-vmmd takes
# (its --help lists each).
. "$(dirname "$0")/tibra.bash"
TEST_NAME=vmmd_unit
command -v systemd-analyze >/dev/null ||
    skip "systemd-analyze not installed (Debian package systemd)"
VMMD="${TIBRA_HOST:-build/host-$(uname -m)}/tibra-vmmd"
[ -x "$VMMD" ] || fail "$VMMD not built"
VMMD=$(cd "$(dirname "$VMMD")" && pwd)/tibra-vmmd
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
unit="$TIBRA_SRC/deploy/vmmd/tibra-vmmd.service"
sed "s|/usr/local/bin/tibra-vmmd|$VMMD|" "$unit" >"$TMP/tibra-vmmd.service"
OUT=$(cd "$TMP" && systemd-analyze verify --man=no --generators=no \
    "$TMP/tibra-vmmd.service" 2>&1)
expect "systemd-analyze verify: status" "$?" 0
expect "systemd-analyze verify: no messages" "$OUT" ""
HELP=$("$VMMD" --help)
for o in $(sed -n 's/^ExecStart=[^ ]* //p' "$unit" | grep -o -- '--[a-z-]*'); do
    printf '%s\n' "$HELP" | grep -q -- "$o " || fail "tibra-vmmd --help has no $o"
    echo "ok   option $o"
done
# A broken copy must fail, or the check above proves nothing.
sed 's/^KillMode=process/KillMode=sometimes/' "$TMP/tibra-vmmd.service" \
    >"$TMP/bad.service"
OUT=$(cd "$TMP" && systemd-analyze verify --man=no --generators=no \
    "$TMP/bad.service" 2>&1)
[ -n "$OUT" ] || fail "a bad KillMode= passed verify"
echo "ok   a broken unit is reported"
echo SUCCESS
