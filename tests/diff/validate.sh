#!/usr/bin/env bash
# tests/diff/validate.sh -- a validator's view of Tibra's signed answers:
# tests/diff/zones/example.org.zone signed at test time (ldns-keygen ECDSA
# P-256 CSK, ldns-signzone with fixed inception/expiration) with NSEC and
# with NSEC3, served by tibra-dnsd alone, and `delv` (BIND 9.18, in
# bind9-dnsutils) asked with the zone's key as its trust anchor: names
# that exist and wildcard answers must be "fully validated", NXDOMAIN and
# NODATA (names, empty non-terminals, wildcard NODATA, DS at an insecure
# cut, the end of a CNAME chain and of a DNAME synthesis) must come with
# "nonexistence proof(s) found" and never a verify failure.  A negative
# control: with another key as the anchor delv must NOT validate (so the
# checks above can fail).
#
# Exit: 0 pass, 77 (SKIP) when delv or the ldns tools are missing, else
# fail (also when tibra-dnsd is not built).  Only the tibra-dnsd started
# here is stopped; every wait is bounded.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${TIBRA_SRC:-$(cd "$here/../.." && pwd)}
build=${TIBRA_BUILD:-$src/build}
unix=${TIBRA_UNIX:-$build/unix-$(uname -m)}
for t in delv ldns-keygen ldns-signzone; do
    if ! command -v "$t" >/dev/null; then
        echo "SKIP diff/validate: $t is needed (bind9-dnsutils, ldnsutils)"
        exit 77
    fi
done
tibra=${TIBRA_DNSD:-$unix/tibra-dnsd}
if [ ! -x "$tibra" ]; then
    echo "FAIL diff/validate: tibra-dnsd not found at $tibra"
    exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-validate.XXXXXX")
pid=""
stop() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        pid=""
    fi
}
trap 'stop; rm -rf "$tmp"' EXIT

# A UDP and TCP port of 127.0.0.1 nobody listens on.
port=""
for i in $(seq 200); do
    p=$((20000 + (RANDOM % 20000)))
    if ! ss -Htuln "sport = :$p" 2>/dev/null | grep -q .; then
        port=$p
        break
    fi
done
[ -n "$port" ] || { echo "FAIL diff/validate: no free port"; exit 1; }

# name type expectation (valid: fully validated; neg: validated denial)
cases="www.example.org A valid
foo.wild.example.org A valid
a.b.wild.example.org A valid
foo.wild.example.org MX valid
host.wild.example.org A valid
foo.x.ent.example.org A valid
nonexistent.example.org A neg
a.b.c.nonexistent.example.org TXT neg
zzzzzz.example.org A neg
foo.www.example.org A neg
www.example.org MX neg
example.org SRV neg
ent2.example.org A neg
x.c.ent2.example.org A neg
foo.wtxt.example.org A neg
foo.x.ent.example.org AAAA neg
outdeleg.example.org DS neg
cname-nx.example.org A neg
foo.dname-in.example.org A neg"

rc=0
for v in nsec nsec3; do
    d=$tmp/$v
    mkdir -p "$d"
    case $v in
    nsec) opts=() ;;
    nsec3) opts=(-n -s 0badcafe -t 0) ;;
    esac
    k=$(cd "$d" && ldns-keygen -a ECDSAP256SHA256 -k example.org) &&
        other=$(cd "$d" && ldns-keygen -a ECDSAP256SHA256 -k example.org) &&
        ldns-signzone "${opts[@]}" -i 20260101000000 -e 20360101000000 \
            -f "$d/signed.zone" "$here/zones/example.org.zone" "$d/$k" \
            >"$d/sign.log" 2>&1
    if [ ! -s "$d/signed.zone" ]; then
        echo "FAIL diff/validate: signing ($v)"
        cat "$d/sign.log"
        exit 1
    fi
    for kf in "$k" "$other"; do
        key=$(awk '$3 == "DNSKEY" {print $7}' "$d/$kf.key")
        printf 'trust-anchors {\n  example.org. static-key 257 3 13 "%s";\n};\n' \
            "$key" >"$d/$kf.anchor"
    done
    printf 'service: name val; target unix\n  listen 127.0.0.1@%s\n' "$port" \
        >"$d/val.conf"
    printf '  workers 1\nzone: example.org; file %s/signed.zone\n' "$d" \
        >>"$d/val.conf"
    "$tibra" "$d/val.conf" >"$d/dnsd.log" 2>&1 </dev/null &
    pid=$!
    up=0
    for _ in $(seq 50); do
        if delv -a "$d/$k.anchor" +root=example.org @127.0.0.1 -p "$port" \
            example.org SOA 2>/dev/null |
            grep -q 'fully validated'; then
            up=1
            break
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ $up = 0 ]; then
        echo "FAIL diff/validate ($v): tibra-dnsd does not serve a validating SOA"
        tail -n 20 "$d/dnsd.log"
        exit 1
    fi
    n=0 bad=0
    while read -r name type want; do
        out=$(delv +vtrace -a "$d/$k.anchor" +root=example.org @127.0.0.1 \
            -p "$port" "$name" "$type" 2>&1)
        ok=0
        if echo "$out" | grep -qiE 'verify failure|insecurity proof failed|broken trust|no valid signature|bogus'; then
            ok=0
        elif [ "$want" = valid ]; then
            echo "$out" | grep -q '; fully validated' && ok=1
        else
            echo "$out" | grep -q 'nonexistence proof(s) found' &&
                echo "$out" | grep -qE 'resolution failed: ncache (nxdomain|nxrrset)' &&
                ok=1
        fi
        n=$((n + 1))
        if [ $ok = 0 ]; then
            bad=$((bad + 1))
            echo "FAIL $v: $name $type: expected $want"
            echo "$out" | grep -vE '^;; (fetch|validating|  )' | tail -n 8
        fi
    done <<<"$cases"
    # Negative control: another key as the anchor must not validate.
    if delv -a "$d/$other.anchor" +root=example.org @127.0.0.1 -p "$port" \
        www.example.org A 2>&1 | grep -q 'fully validated'; then
        echo "FAIL $v: validated with the wrong trust anchor (the check is blind)"
        bad=$((bad + 1))
    fi
    stop
    echo "$v: $((n - bad)) of $n names as expected; wrong anchor refused"
    [ $bad = 0 ] || rc=1
done
exit $rc
