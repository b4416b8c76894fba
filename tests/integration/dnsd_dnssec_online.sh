#!/usr/bin/env bash
# test-timeout: 400
# dnsd_dnssec_online -- online DNSSEC signing in tibra-dnsd (issue 12):
# zones with `dnssec KEYDIR` (keys from `tibra key generate`) are signed
# on load and served signed; their AXFR passes ldns-verify-zone,
# kzonecheck --dnssec on and BIND's dnssec-verify; dig +dnssec shows
# RRSIGs and NSEC/NSEC3 proofs; a fast clock (TIBRA_DNSD_DNSSEC_SCALE
# shortens dnssec-validity and dnssec-margin) shows the signatures of a
# zone without updates (signer thread) and of one taking updates (update
# thread) refreshed before they expire, with a new serial; after a
# restart the journaled signatures are checked and the due ones made
# again; nsupdate adds and deletes names, every new AXFR still verifies,
# the IXFR carries the RRSIG and NSEC3 changes and only those, RRsets an
# update did not touch keep their signatures; delv with the zone's DNSKEY
# as trust anchor says "fully validated" for a name, NXDOMAIN and NODATA;
# `dnssec` with `primary` is refused at its FILE:LINE.
. "$(dirname "$0")/dnsd.bash"
dnsd_setup dnsd_dnssec_online
TB=${TIBRA_HOST:-build/host-$(uname -m)}/tibra
[ -x "$TB" ] || fail "$TB not built"
[ "${TIBRA_ARCH:-$(uname -m)}" = "$(uname -m)" ] || skip "cross build"
for t in ldns-verify-zone kzonecheck dnssec-verify delv nsupdate; do
    command -v $t >/dev/null || skip "$t not installed"
done

mkdir -p "$TMP/zones" "$TMP/keys/test" "$TMP/keys/static" "$TMP/keys/tsig"
dnsd_zone "$TMP/zones/example.test.zone" 1
cat >"$TMP/zones/static.test.zone" <<'ZONE'
$ORIGIN static.test.
$TTL 300
@       SOA   ns1 hostmaster 7 3600 900 604800 60
        NS    ns1
ns1     A     192.0.2.1
www     A     192.0.2.80
a.b     TXT   "below an empty non-terminal"
ZONE
"$TB" key generate --algorithm 13 --ksk example.test "$TMP/keys/test" \
    >/dev/null || fail "key generate (KSK)"
"$TB" key generate --algorithm 13 example.test "$TMP/keys/test" \
    >/dev/null || fail "key generate (ZSK)"
"$TB" key generate --algorithm 13 --ksk static.test "$TMP/keys/static" \
    >/dev/null || fail "key generate (CSK)"
K1=$(printf 'tibra-dnssec-online-secret-k1-32' | base64 -w0)
printf '%s\n' "$K1" >"$TMP/keys/tsig/k1"
chmod 600 "$TMP/keys/tsig/k1"
dnsd_conf
cat >>"$TMP/ns.conf" <<CONF
         dnssec keys/test nsec3 iterations 0 salt -
         dnssec-validity 4h; dnssec-margin 3h
         allow-update key upd-key
         allow-transfer 127.0.0.1
         journal-max-size 4K
zone:    static.test; file zones/static.test.zone
         dnssec keys/static
         dnssec-validity 4h; dnssec-margin 3h
         allow-transfer 127.0.0.1
key:     upd-key; algorithm hmac-sha256; secret-file keys/tsig/k1
CONF

# dnssec with primary: refused at its line.
sed 's|^zone:    static.test; file zones/static.test.zone|zone:    static.test; file zones/static.test.zone; primary 127.0.0.1@1|' \
    "$TMP/ns.conf" >"$TMP/bad.conf"
out=$("$DNSD" --check "$TMP/bad.conf" 2>&1)
expect "dnssec + primary: refused" "$?" 1
expect_match "dnssec + primary: FILE:LINE" "$out" \
    "bad.conf:10: zone static.test: .*secondary.*cannot be signed"

"$DNSD" --check "$TMP/ns.conf" 2>"$TMP/check.log" ||
    { cat "$TMP/check.log"; fail "--check refused the service"; }

upd() {
    {
        echo "server 127.0.0.1 $PORT"
        echo "zone example.test"
        printf '%s\n' "$@"
        echo "send"
        echo "answer"
    } | timeout 20 nsupdate -y "hmac-sha256:upd-key:$K1" 2>&1
}
serial() { q +short "$1" SOA | awk '{print $3}'; }
axfr() { dig @127.0.0.1 -p "$PORT" +time=5 +tries=2 +nocmd +nostats "$1" AXFR; }
# verify ZONE WHAT: the AXFR of ZONE passes the three verifiers.
verify() {
    local z=$1 what=$2 f=$TMP/$1.axfr out
    axfr "$z" | grep -v '^;' | sed '$d' >"$f"
    grep -q RRSIG "$f" || fail "$what: AXFR of $z has no RRSIG"
    out=$(ldns-verify-zone "$f" 2>&1) || fail "$what: ldns-verify-zone $z: $out"
    out=$(kzonecheck --dnssec on -o "$z" "$f" 2>&1) ||
        fail "$what: kzonecheck $z: $out"
    if [ "$z" = static.test ]; then # a CSK: BIND wants -z
        out=$(dnssec-verify -z -o "$z" "$f" 2>&1)
    else
        out=$(dnssec-verify -o "$z" "$f" 2>&1)
    fi || fail "$what: dnssec-verify $z: $out"
    echo "ok   $what: AXFR of $z passes ldns-verify-zone, kzonecheck, dnssec-verify"
}
# The expiration (field 5 of the RRSIG rdata) of NAME's TYPE signature.
sig_exp() {
    q +dnssec +noall +answer "$1" "$2" | awk -v t="$2" '$4 == "RRSIG" && $5 == t {print $9; exit}'
}
# Waits (up to $3 s) until the SOA serial of zone $1 differs from $2.
wait_serial() {
    local z=$1 was=$2 s
    for _ in $(seq $(($3 * 5))); do
        s=$(serial "$z")
        [ -n "$s" ] && [ "$s" != "$was" ] && { echo "$s"; return 0; }
        sleep 0.2
    done
    echo "$was"
}

# ---- 1: a fast clock: validity 4h/360 = 40 s, margin 3h/360 = 30 s: a
# refresh about 7 s after signing, signatures served with 27 s left at least
TIBRA_DNSD_DNSSEC_SCALE=360 dnsd_start -v
expect_match "signed on load (log)" "$(cat "$TMP/log")" \
    "zone static.test: signed online, 1 key .*nsec, signatures valid 40 s"
expect_match "a margin under the largest TTL is warned about" \
    "$(cat "$TMP/log")" \
    "zone static.test: warning: signatures are refreshed 30 s before they expire, less than the largest TTL \(300 s\)"
# (the expiration before the serial: a refresh in between is then seen)
e0=$(sig_exp www.static.test A)
[ -n "$e0" ] || fail "no RRSIG for www.static.test A"
s_st=$(serial static.test)
s_ex=$(serial example.test)
verify static.test "fast clock, start"
s1=$(wait_serial static.test "$s_st" 40)
[ "$s1" != "$s_st" ] || fail "static.test: no refresh within 40 s (serial $s_st)"
e1=$(sig_exp www.static.test A)
[ "$e1" \> "$e0" ] || fail "static.test: www A signature not refreshed ($e0 -> $e1)"
echo "ok   static.test: signatures refreshed before expiry (serial $s_st -> $s1, www A expires $e0 -> $e1)"
verify static.test "fast clock, after a refresh"
s2=$(wait_serial example.test "$s_ex" 40)
[ "$s2" != "$s_ex" ] || fail "example.test: no refresh within 40 s"
echo "ok   example.test (updates): signatures refreshed, serial $s_ex -> $s2"
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 example.test IXFR="$s_ex")
expect_match "IXFR of a refresh carries RRSIGs" "$out" \
    '^www\.example\.test\..*RRSIG[[:space:]]+A '
verify example.test "fast clock, after a refresh"
expect_match "refreshes logged" "$(cat "$TMP/log")" \
    "zone example.test: signatures refreshed, serial"
dnsd_stop
expect "stopped cleanly" "$DNSD_RC" 0

# The journal was compacted (a refresh's delta is larger than 4K): the
# zone file holds the signed zone, which the restart reads and verifies.
grep -q 'RRSIG' "$TMP/zones/example.test.zone" ||
    fail "the compacted zone file is not signed"
echo "ok   journal compacted: the zone file is written back signed"

# ---- 2: normal clock; the journaled 40 s signatures are all due --------
dnsd_start -v
expect_match "restart: journaled version re-signed" "$(cat "$TMP/log")" \
    "zone example.test: signed, serial"
verify example.test "restart"
verify static.test "restart"

out=$(q +dnssec www.example.test A)
expect_match "dig +dnssec: RRSIG A" "$out" \
    '^www\.example\.test\..*RRSIG[[:space:]]+A 13 3 300'
out=$(q +dnssec nothere.example.test A)
expect_match "NXDOMAIN" "$out" "status: NXDOMAIN"
expect_match "NXDOMAIN: NSEC3 proofs" "$out" "IN[[:space:]]+NSEC3[[:space:]]+1 0 0 -"
out=$(q +dnssec nothere.static.test A)
expect_match "NXDOMAIN (NSEC)" "$out" 'static\.test\..*IN[[:space:]]+NSEC[[:space:]]'
out=$(q +dnssec www.example.test TXT)
expect_match "NODATA: NSEC3 and its RRSIG" "$out" "RRSIG[[:space:]]+NSEC3 13"

# ---- updates: signed as they are applied ------------------------------
www_sig=$(q +dnssec +short www.example.test A | grep '^A 13')
mail_sig=$(q +dnssec +short mail.example.test A | grep '^A 13')
s_a=$(serial example.test)
out=$(upd "update add new.example.test. 300 IN A 192.0.2.77")
expect_match "nsupdate add: NOERROR" "$out" 'status: NOERROR'
s_b=$(serial example.test)
out=$(q +dnssec new.example.test A)
expect_match "the added name is signed" "$out" \
    '^new\.example\.test\..*RRSIG[[:space:]]+A 13 3 300'
verify example.test "after adding a name"
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 example.test IXFR="$s_a")
expect_match "IXFR: the new A" "$out" '^new\.example\.test\..*A[[:space:]]+192\.0\.2\.77'
expect_match "IXFR: its RRSIG" "$out" '^new\.example\.test\..*RRSIG[[:space:]]+A '
expect_match "IXFR: NSEC3 records" "$out" 'IN[[:space:]]+NSEC3[[:space:]]'
expect_match "IXFR: the SOA's new RRSIG" "$out" 'RRSIG[[:space:]]+SOA '
# O(change): the delta holds the SOA's, the new name's and the chain's
# signatures (old and new), not the zone's.
n=$(printf '%s\n' "$out" | awk '$4 == "RRSIG"' | wc -l)
total=$(grep -c RRSIG "$TMP/example.test.axfr")
[ "$n" -le 10 ] || fail "IXFR of one added name has $n RRSIGs (zone: $total)"
echo "ok   IXFR of one added name: $n RRSIGs of $total in the zone"
expect "www A keeps its signature" \
    "$(q +dnssec +short www.example.test A | grep '^A 13')" "$www_sig"
out=$(upd "update delete mail.example.test.")
expect_match "nsupdate delete: NOERROR" "$out" 'status: NOERROR'
expect_match "deleted: NXDOMAIN" "$(q +dnssec mail.example.test A)" \
    "status: NXDOMAIN"
verify example.test "after deleting a name"
out=$(dig @127.0.0.1 -p "$PORT" +time=5 +tries=1 example.test IXFR="$s_b")
expect_match "IXFR: the deleted A's RRSIG goes" "$out" \
    '^mail\.example\.test\..*RRSIG[[:space:]]+A '
expect "the deleted RRSIG was the old one" \
    "$(printf '%s\n' "$out" | awk '$1 == "mail.example.test." && $4 == "RRSIG" {$1=$2=$3=$4=""; print}' | head -1 | sed 's/^ *//')" \
    "$mail_sig"
out=$(upd "update add q.r.example.test. 300 IN TXT \"below an ENT\"")
verify example.test "after adding a name below an empty non-terminal"
out=$(upd "update add deleg.example.test. 300 IN NS ns.elsewhere.example.")
verify example.test "after adding a delegation"

# ---- delv, the zone's KSK as trust anchor -----------------------------
ksk=$(cat "$TMP"/keys/test/Kexample.test.+013+*.key |
    awk '$3 == "DNSKEY" && $4 == 257 {k = ""; for (i = 7; i <= NF; i++) k = k $i; print $4, $5, $6, "\"" k "\""}')
[ -n "$ksk" ] || fail "no KSK in keys/test"
printf 'trust-anchors {\n    example.test. static-key %s;\n};\n' "$ksk" \
    >"$TMP/anchor"
dv() { delv @127.0.0.1 -p "$PORT" -a "$TMP/anchor" +root=example.test "$@" 2>&1; }
out=$(dv www.example.test A)
expect_match "delv: a name, fully validated" "$out" "^; fully validated"
out=$(dv nothere.example.test A)
expect_match "delv: NXDOMAIN, fully validated" "$out" \
    "^; negative response, fully validated"
out=$(dv www.example.test TXT)
expect_match "delv: NODATA, fully validated" "$out" \
    "^; negative response, fully validated"
out=$(dv new.example.test A)
expect_match "delv: an added name, fully validated" "$out" "^; fully validated"

# ---- SIGHUP: a zone file edited, then a zone added before it ----------
www_st=$(q +dnssec +short www.static.test A | grep '^A 13')
s_hup=$(serial static.test)
sed -i 's/ 7 3600 900 604800 60/ 100 3600 900 604800 60/' \
    "$TMP/zones/static.test.zone"
echo 'new2    A     192.0.2.81' >>"$TMP/zones/static.test.zone"
kill -HUP "$DNSD_PID"
expect "SIGHUP: the edited file's serial" \
    "$(wait_serial static.test "$s_hup" 10)" 100
expect_match "SIGHUP: the added record is signed" \
    "$(q +dnssec new2.static.test A)" '^new2\.static\.test\..*RRSIG[[:space:]]+A 13 3'
expect "SIGHUP: www.static.test keeps its signature" \
    "$(q +dnssec +short www.static.test A | grep '^A 13')" "$www_st"
verify static.test "after SIGHUP"
cat >"$TMP/zones/aaa.test.zone" <<'ZONE'
$ORIGIN aaa.test.
@ 300 SOA ns1 hostmaster 1 3600 900 604800 60
@ 300 NS ns1
ns1 300 A 192.0.2.1
ZONE
sed -i 's|^zone:    example.test;|zone:    aaa.test; file zones/aaa.test.zone\nzone:    example.test;|' \
    "$TMP/ns.conf"
kill -HUP "$DNSD_PID"
for _ in $(seq 50); do
    [ -n "$(serial aaa.test)" ] && break
    sleep 0.2
done
expect "SIGHUP: a zone added" "$(serial aaa.test)" 1
expect "SIGHUP: static.test keeps its version" "$(serial static.test)" 100
verify static.test "after a zone was added"
verify example.test "after a zone was added"
out=$(upd "update add after-hup.example.test. 300 IN A 192.0.2.78")
expect_match "an update after the reload: NOERROR" "$out" 'status: NOERROR'
verify example.test "after an update after the reload"
dnsd_stop
expect "stopped cleanly" "$DNSD_RC" 0
! grep -q "PrivateKey" "$TMP/log" || fail "a private key in the log"
echo "SUCCESS"
