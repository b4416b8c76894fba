#!/usr/bin/env bash
# test-timeout: 120
# metrics_tap.sh -- the DNS unikernel's metrics port on the direct stack
# (app/dnsd/guest/metrics.c over lib/net): the spt image (and the hvt
# image where /dev/kvm is usable) in a network namespace behind a TAP
# (tests/net/lib.inc), --metrics on its own address; a first scrape, the
# known queries of metrics.bash over UDP and TCP, a second scrape: both
# parse strictly (promcheck.py) and every counter moved by exactly what
# was sent, the rest by 0; the zone serial gauge is the zone's; 404, 405,
# 431 for what is not GET /metrics.  Needs root; skips otherwise.
name=metrics_tap
. "$(dirname "$0")/../net/lib.inc"
. "$(dirname "$0")/guest.bash"
net_require
command -v dig >/dev/null || skip "dig not installed (bind9-dnsutils)"
command -v curl >/dev/null || skip "curl not installed"
guest_require
TMPM=$(mktemp -d)
fail() { echo "FAIL $name: $*"; cat "$ECHO_LOG"; exit 1; }
expect_match() {
    printf '%s\n' "$2" | grep -Eq -- "$3" || fail "$1: no line matches /$3/"
    echo "ok   $1"
}
. "$(dirname "$0")/metrics.bash"
trap 'cleanup; rm -rf "$TMPM"' EXIT
net_setup
RUN=(ip netns exec "$NS")
SERIAL=$(sed -n 's/^ *\([0-9]*\) *; serial.*/\1/p' "$TIBRA_SRC/examples/zones/example.org.zone")
[ -n "$SERIAL" ] || fail "cannot read the example zone's serial"
URL=http://$IP4:9153/metrics

for t in $targets; do
    echo "== $t"
    guest_start "$t" --ipv4=$IP4/24 --metrics=$IP4@9153
    expect_match "$t says where" "$(cat "$ECHO_LOG")" \
        "^dnsd: metrics on http://$IP4:9153/metrics$"
    metrics_scrape "$URL" "$TMPM/before"
    metrics_queries "$IP4" 53
    metrics_check "$URL" "$TMPM/before" \
        --gauge "tibra_dns_zone_serial{zone=\"example.org.\"}=$SERIAL:$SERIAL"
    metrics_http "$IP4" 9153
    term_echo
    [ "$ECHO_RC" = 0 ] || fail "$t: exit status $ECHO_RC after SIGTERM"
done
echo "SUCCESS"
