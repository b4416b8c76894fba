#!/usr/bin/env bash
# tests/diff/signed.sh -- the differential test (run.sh) on signed zones:
# tests/diff/zones signed at test time with ldns-signzone, served by NSD,
# Knot and tibra-dnsd, compared with DO set over tests/diff/queries-dnssec
# (the DNSSEC corpus: denial of existence, wildcards, delegations,
# DNSKEY/NSEC3PARAM/RRSIG/NSEC queries, truncation).
#
# Three variants, one run.sh each: NSEC, NSEC3 (salt, 0 extra iterations,
# RFC 9276) and NSEC3 with opt-out.  example.org and child.example.org
# are signed (example.net is not); example.org's delegations deleg and
# child have (made-up) DS records, outdeleg, mixdeleg, sibdeleg and
# bigdeleg none: secure and insecure delegations.  Keys (ECDSA P-256, one CSK per zone) are
# made with ldns-keygen in the temporary directory, never committed;
# inception and expiration are fixed (2026-01-01 .. 2036-01-01) so the
# answers do not depend on the day the test runs.  ECDSA signatures are
# not deterministic, but the three servers serve the same signed files.
#
# Accepted divergences: tests/diff/KNOWN-dnssec (one line each, RFC reason;
# an ID may be prefixed VARIANT: to hold for one variant only).
# Exit: 0 pass, 77 (SKIP) when nsd, knotd or the ldns tools are missing.
set -u
here=$(cd "$(dirname "$0")" && pwd)
src=${TIBRA_SRC:-$(cd "$here/../.." && pwd)}
build=${TIBRA_BUILD:-$src/build}
for t in ldns-keygen ldns-signzone; do
    if ! command -v "$t" >/dev/null; then
        echo "SKIP diff/signed: $t is needed (ldnsutils)"
        exit 77
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tibra-signed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
incep=20260101000000
expir=20360101000000

# keygen DIR ZONE: a CSK (KSK flag) for ZONE in DIR; prints its base name.
keygen() {
    (cd "$1" && ldns-keygen -a ECDSAP256SHA256 -k "$2")
}

# sign VARIANT: the signed zones of VARIANT into $tmp/VARIANT/.
sign() {
    local v=$1 d=$tmp/$1 opts=() ck ok
    mkdir -p "$d"
    case $v in
    nsec) opts=() ;;
    nsec3) opts=(-n -s 0badcafe -t 0) ;;
    nsec3-optout) opts=(-n -p -s 0badcafe -t 0) ;;
    esac
    cp "$here/zones/example.net.zone" "$d/"
    ck=$(keygen "$d" child.example.org) || return 1
    ldns-signzone "${opts[@]}" -i $incep -e $expir \
        -f "$d/child.example.org.zone" "$here/zones/child.example.org.zone" \
        "$d/$ck" || return 1
    ok=$(keygen "$d" example.org) || return 1
    ldns-signzone "${opts[@]}" -i $incep -e $expir \
        -f "$d/example.org.zone" "$here/zones/example.org.zone" \
        "$d/$ok" || return 1
}

rc=0
for v in ${SIGNED_VARIANTS:-nsec nsec3 nsec3-optout}; do
    if ! sign "$v" >"$tmp/$v.log" 2>&1; then
        echo "FAIL diff/signed: signing ($v):"
        cat "$tmp/$v.log"
        exit 1
    fi
    # KNOWN-dnssec lines for this variant (VARIANT:ID) or all (ID).
    sed -n "s/^$v://p; t; /^[^#:]*[[:space:]]/p" "$here/KNOWN-dnssec" \
        | grep -v '^[a-z0-9-]*:' >"$tmp/KNOWN-$v"
    echo "--- diff/signed: $v"
    DIFF_NAME=diff/signed-$v DIFF_ZONE_DIR=$tmp/$v \
        DIFF_CORPUS=$here/queries-dnssec DIFF_KNOWN=$tmp/KNOWN-$v \
        TIBRA_BUILD=$build bash "$here/run.sh" || rc=1
done
exit $rc
