#!/usr/bin/env bash
# hvt_kvm_fd.sh -- tibra-hvt --kvm=fd:N: a manager (tibra-vmmd) opens
# /dev/kvm and runs the tender as an unprivileged user.  hello runs as
# nobody with the descriptor passed in (nobody cannot open /dev/kvm, mode
# 0600 here; where it can, the run still proves the option is taken), and
# a descriptor that is not /dev/kvm is refused by name.  Needs root (to
# switch users) and a usable /dev/kvm.
. "$(dirname "$0")/lib/platform.sh"

if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null; then
    echo "SKIP hvt_kvm_fd: needs root and setpriv (util-linux)"
    exit 77
fi
if ! plat_available hvt hello; then
    echo "SKIP hvt_kvm_fd: no tibra-hvt, hello.hvt or /dev/kvm"
    exit 77
fi
OUT=$(exec 5<>/dev/kvm; ulimit -c 0
    timeout -k 5 "$PLAT_TIMEOUT" setpriv --reuid=65534 --regid=65534 \
        --clear-groups "$HVT" --kvm=fd:5 "$APPS_G/hello.hvt" 2>&1 </dev/null)
RC=$?
expect_success "hvt_kvm_fd/nobody"
OUT=$(timeout -k 5 "$PLAT_TIMEOUT" "$HVT" --kvm=fd:0 "$APPS_G/hello.hvt" \
    2>&1 </dev/null)
RC=$?
if [ "$RC" -eq 1 ]; then ok "hvt_kvm_fd/refused status"; else
    bad "hvt_kvm_fd/refused status" "exit $RC, expected 1"; fi
expect_output "hvt_kvm_fd/refused" '--kvm=fd:0: not an open /dev/kvm descriptor'
finish hvt_kvm_fd
