#!/usr/bin/env bash
# dnsd_ipv6 -- tibra-dnsd listens on IPv4 and IPv6 at once and answers on
# both over UDP and TCP (dig and kdig).  Skipped where ::1 is unavailable.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_ipv6
have_ipv6 || skip "no IPv6 loopback (::1) here"
command -v kdig >/dev/null || skip "kdig not installed (knot-dnsutils)"

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 7
IPV6=1 dnsd_conf
dnsd_start

q6() { dig @::1 -p "$PORT" +time=2 +tries=2 "$@"; }
expect "IPv6 UDP A" "$(q6 +short www.example.test A)" "192.0.2.10"
expect "IPv6 TCP AAAA" "$(q6 +tcp +short www.example.test AAAA)" \
    "2001:db8::10"
expect_match "IPv6 NXDOMAIN" "$(q6 nope.example.test A)" "status: NXDOMAIN"
expect "kdig IPv6 UDP" \
    "$(kdig @::1 -p "$PORT" +short www.example.test A)" "192.0.2.10"
expect "kdig IPv6 TCP" \
    "$(kdig @::1 -p "$PORT" +tcp +short www.example.test A)" "192.0.2.10"
expect "IPv4 still answers" "$(q +short www.example.test A)" "192.0.2.10"
expect_match "both addresses logged" "$(cat "$TMP/log")" \
    "listening on \[::1\]@$PORT"

dnsd_stop
expect "SIGTERM exit status" "$DNSD_RC" "0"
echo SUCCESS
