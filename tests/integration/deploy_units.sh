#!/usr/bin/env bash
# test-timeout: 240
# deploy_units.sh -- tibra deploy systemd's units for unikernels, run as
# far as this machine allows without systemd as PID 1.  For spt and hvt,
# standalone (TAP unit + tender unit + sysusers) and through the manager
# (--manager BRIDGE: one oneshot unit driving tibra-vmmd): every unit
# passes `systemd-analyze verify` with no output (the manager unit
# together with deploy/vmmd/tibra-vmmd.service).  Then, as root in a
# network namespace of the test's own (vmmd.bash), the command lines the
# units contain are parsed from the files and run:
#   standalone spt: the TAP unit's ExecStartPre=/ExecStart= lines (as
#     root, as systemd would), the tender unit's ExecStart= as User= with
#     no capabilities and no_new_privs (setpriv; nobody stands in for the
#     unit's static user), dig gets the zone's answer from the guest,
#     the tender has CapEff 0, SIGTERM exits 0, the TAP unit's ExecStop=
#     removes the device.  hvt likewise, with /dev/kvm.  The device nodes
#     are made as Debian's udev makes them (/dev/net/tun 0666, /dev/kvm
#     root:kvm 0660, group nogroup standing in for kvm) in a mount
#     namespace of the tender's own: here they are root-only.
#   through the manager (spt, and hvt with /dev/kvm): tibra-vmmd as the
#     deploy/vmmd unit runs it (root; socket group nogroup, tenders as
#     nobody), the unit's
#     ExecStartPre= (failing: nothing to destroy, ignored as its '-'
#     says), ExecStart= and ExecStop= as an unprivileged member of the
#     socket's group (DynamicUser= stand-in), with TIBRA_VMMD_SOCKET
#     pointing at the test's socket: dig answers, and after ExecStop= no
#     unikernel and no TAP are left.
. "$(dirname "$0")/vmmd.bash"
vm_setup deploy_units
command -v systemd-analyze >/dev/null || skip "systemd-analyze not installed (systemd)"
command -v setpriv >/dev/null || skip "setpriv not installed (util-linux)"
getent group nogroup >/dev/null || skip "no group nogroup"
PREFIX=$TMP/inst # tb_setup's copy of the build's bin/, readable by all
for p in tibra tibra-spt tibra-hvt tibra-vmmd; do
    [ -x "$PREFIX/bin/$p" ] || fail "$PREFIX/bin/$p missing (make check-build)"
done
S=$TMP/s
cp "$TIBRA_SRC/deploy/vmmd/tibra-vmmd.service" "$TMP/vmmd.unit"

# verify DIR...: systemd-analyze verify prints nothing for every unit.
verify() {
    local out
    out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no \
        --generators=no "$@" 2>&1)
    [ -z "$out" ] || fail "systemd-analyze verify $*: $out"
    echo "ok   systemd-analyze verify: $(for u in "$@"; do basename "$u"; done | tr '\n' ' ')"
}
# lines FILE KEY: the command lines of KEY= in FILE, one per line
lines() { sed -n "s/^$2=//p" "$1"; }
# runline LINE [PREFIX-CMD...]: runs a unit command line; '-' ignores failure
runline() {
    local l=$1 ign=
    shift
    case $l in -*) ign=1 l=${l#-} ;; esac
    read -ra cmd <<<"$l"
    if ! "$@" "${cmd[@]}" >"$TMP/line.out" 2>&1; then
        [ -n "$ign" ] || fail "unit command failed: $l: $(cat "$TMP/line.out")"
        echo "ok   '-$l' failed, ignored as the unit says"
    fi
}
AS_USER=(setpriv --reuid=nobody --regid=nogroup --clear-groups
    --no-new-privs --inh-caps=-all --bounding-set=-all --)

targets=spt
[ -n "$HVT_OK" ] && targets="spt hvt"
for t in $targets; do
    echo "== $t standalone"
    cat >"$S/sa$t.conf" <<EOS
service: name sa$t; target $t; memory 16M
         address 10.9.0.2/24; gateway 10.9.0.1
zone:    example.org; file zones/example.org.zone
EOS
    "$TB" build "$S/sa$t.conf" -q || fail "tibra build sa$t"
    # The units as written (user tibra-sa$t) are verified; the ones run
    # name user nobody (not created here), and differ in that alone.
    V=$TMP/v-$t U=$TMP/u-$t
    "$TB" deploy systemd "$S/sa$t.conf" -o "$V" --prefix "$PREFIX" \
        >"$TMP/deploy.out" 2>&1 || fail "deploy: $(cat "$TMP/deploy.out")"
    verify "$V/tibra-sa$t-tap.service" "$V/tibra-sa$t.service"
    "$TB" deploy systemd "$S/sa$t.conf" -o "$U" --prefix "$PREFIX" \
        --user nobody >"$TMP/deploy.out" 2>&1 || fail "deploy: $(cat "$TMP/deploy.out")"
    for f in tibra-sa$t-tap.service tibra-sa$t.service; do
        d=$(diff <(sed "s/^User=tibra-sa$t$/User=U/; s/ user tibra-sa$t$/ user U/" "$V/$f") \
            <(sed 's/^User=nobody$/User=U/; s/ user nobody$/ user U/' "$U/$f") |
            grep '^[<>]' | grep -v '^[<>] #')
        [ -z "$d" ] || fail "$f: --user nobody changed more than the user: $d"
    done
    TAPU=$U/tibra-sa$t-tap.service GU=$U/tibra-sa$t.service
    while read -r l; do runline "$l"; done < <(lines "$TAPU" ExecStartPre; lines "$TAPU" ExecStart)
    expect_match "the TAP is owned by the unit's user" \
        "$(ip -d link show "tb-sa$t")" "tun type tap .* user nobody "
    read -ra cmd <<<"$(lines "$GU" ExecStart)"
    # The device nodes as a Debian host has them (udev: /dev/net/tun
    # 0666; /dev/kvm root:kvm 0660), in a mount namespace of the tender's
    # own: this machine's are root-only 0600, and the host's stay as they
    # are.  Group nogroup stands in for kvm (no such group here).
    setup="mount -t tmpfs -o mode=755 none $TMP/dev &&
        mknod -m 666 $TMP/dev/tun c 10 200 &&
        mount --bind $TMP/dev/tun /dev/net/tun"
    grp=(--clear-groups)
    if [ $t = hvt ]; then
        setup="$setup && mknod -m 660 $TMP/dev/kvm c 10 232 &&
            chgrp nogroup $TMP/dev/kvm && mount --bind $TMP/dev/kvm /dev/kvm"
        grp=(--groups=nogroup)
    fi
    mkdir -p "$TMP/dev"
    : >"$TMP/tender.log" # emptied here: the last target's READY must not be seen
    unshare -m sh -c "$setup && exec \"\$@\"" sh \
        setpriv --reuid=nobody --regid=nogroup "${grp[@]}" \
        --no-new-privs --inh-caps=-all --bounding-set=-all -- "${cmd[@]}" \
        >>"$TMP/tender.log" 2>&1 &
    TPID=$!
    for _ in $(seq 100); do
        grep -q READY "$TMP/tender.log" && break
        kill -0 $TPID 2>/dev/null || break
        sleep 0.1
    done
    grep -q READY "$TMP/tender.log" || fail "$t tender did not start: $(cat "$TMP/tender.log")"
    expect "$t: dig through the unit's TAP" "$(ask 10.9.0.2)" 192.0.2.10
    expect "$t: the tender has no capabilities" \
        "$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/$TPID/status)" 0000000000000000
    expect "$t: the tender runs as the unit's user" \
        "$(stat -c %U /proc/$TPID)" nobody
    kill -TERM $TPID
    for _ in $(seq 50); do kill -0 $TPID 2>/dev/null || break; sleep 0.1; done
    kill -KILL $TPID 2>/dev/null
    wait $TPID
    expect "$t: SIGTERM stops it with status 0" "$?" 0
    while read -r l; do runline "$l"; done < <(lines "$TAPU" ExecStop)
    ip link show "tb-sa$t" >/dev/null 2>&1 && fail "ExecStop= left tb-sa$t"
    echo "ok   $t: ExecStop= removed tb-sa$t"
done

echo "== through the manager"
sed -i "s|/usr/local/bin/|$PREFIX/bin/|" "$TMP/vmmd.unit"
# The daemon, as deploy/vmmd's unit runs it but on the test's state
# directory, socket and users (group nogroup for tibra, nobody for
# tibra-vmm: no user or group is created on this host).
vm_daemon --group nogroup --allow-bridge br0
n=3
for t in $targets; do
    vm_svc "m$t" 10.0.0.$n $t
    "$TB" build "$S/m$t.conf" -q || fail "tibra build m$t"
    U=$TMP/m-$t
    "$TB" deploy systemd "$S/m$t.conf" -o "$U" --prefix "$PREFIX" \
        --manager br0 --group nogroup >"$TMP/deploy.out" 2>&1 ||
        fail "deploy --manager: $(cat "$TMP/deploy.out")"
    cp "$TMP/vmmd.unit" "$U/tibra-vmmd.service"
    verify "$U/tibra-m$t.service" "$U/tibra-vmmd.service"
    MU=$U/tibra-m$t.service
    expect_match "the unit requires the manager" "$(cat "$MU")" '^Requires=tibra-vmmd.service$'
    ENVS=(env TIBRA_VMMD_SOCKET="$TMP/sock")
    AS_MEMBER=(setpriv --reuid=nobody --regid=nogroup
        --groups=nogroup --no-new-privs --inh-caps=-all --bounding-set=-all --)
    while read -r l; do runline "$l" "${AS_MEMBER[@]}" "${ENVS[@]}"; done \
        < <(lines "$MU" ExecStartPre; lines "$MU" ExecStart)
    expect "$t through tibra-vmmd: dig" "$(ask 10.0.0.$n)" 192.0.2.10
    tbv list
    expect_match "$t: tibra list shows it running" "$OUT" "^m$t +running"
    while read -r l; do runline "$l" "${AS_MEMBER[@]}" "${ENVS[@]}"; done \
        < <(lines "$MU" ExecStop)
    tbv list
    printf '%s\n' "$OUT" | grep -q "^m$t " && fail "ExecStop= left m$t: $OUT"
    # The daemon closes its TAP descriptor as the tender exits; the
    # kernel unregisters the device just after: give it a bounded while.
    for _ in $(seq 50); do
        ip -o link show | grep -q ' tbv' || break
        sleep 0.1
    done
    ip -o link show | grep -q ' tbv' && fail "a TAP is left 5 s after ExecStop=: $(ip -o link show)"
    echo "ok   $t: ExecStop= destroyed it, no TAP left"
    n=$((n + 1))
done
vm_daemon_stop
expect "tibra-vmmd exit status" "$DRC" 0
echo "SUCCESS"
