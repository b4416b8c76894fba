#!/usr/bin/env bash
# dnsd_wildcard -- listening on the wildcard addresses (0.0.0.0, ::), the
# server answers from the address each query was sent to (IP_PKTINFO /
# IPV6_PKTINFO): a query to 127.0.0.2 is answered from 127.0.0.2 (dig
# ignores a reply from another source and would time out).  Runs in a
# private network namespace (unshare -n), so the wildcard socket sees only
# that namespace's loopback; skipped where one cannot be made.
if [ -z "${TIBRA_IN_NETNS:-}" ]; then
    if ! command -v unshare >/dev/null ||
        ! unshare -n true 2>/dev/null; then
        echo "SKIP dnsd_wildcard: cannot create a network namespace" \
            "(needs root or user namespaces)"
        exit 77
    fi
    TIBRA_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_wildcard
ip link set lo up 2>/dev/null || skip "cannot bring up lo in the namespace"

mkdir -p "$TMP/zones"
dnsd_zone "$TMP/zones/example.test.zone" 3
v6=0
have_ipv6 && v6=1
{
    echo "service: listen 0.0.0.0@$PORT"
    [ $v6 = 1 ] && echo "         listen ::@$PORT"
    echo "zone:    example.test; file zones/example.test.zone"
} >"$TMP/ns.conf"
dnsd_start

for a in 127.0.0.1 127.0.0.2 127.1.2.3; do
    expect "UDP to $a answered from $a" \
        "$(dig @$a -p "$PORT" +time=2 +tries=1 +short www.example.test A)" \
        "192.0.2.10"
done
expect "TCP to 127.0.0.2" \
    "$(dig @127.0.0.2 -p "$PORT" +tcp +time=2 +tries=1 +short \
        www.example.test A)" \
    "192.0.2.10"
if [ $v6 = 1 ]; then
    expect "UDP to ::1 (wildcard ::)" \
        "$(dig @::1 -p "$PORT" +time=2 +tries=1 +short www.example.test AAAA)" \
        "2001:db8::10"
else
    echo "(no IPv6 in the namespace: :: not tested)"
fi
dnsd_stop
expect "SIGTERM exit status" "$DNSD_RC" "0"
echo SUCCESS
