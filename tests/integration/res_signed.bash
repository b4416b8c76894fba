# res_signed.bash -- the SIGNED private tree of res_dnssec.sh, shared with
# res_guest_dnssec.sh.  Sourced by a test that sources res_tree.bash
# (fail; its namespace $NS, veth v0, run, PIDS, TMP: signed_tree is run
# after tree_start); signed_tree builds it in $TMP/signed (sets sd, the
# working directory left there, and n3by) and starts its servers in the
# namespace (PIDs in PIDS):
#   10.53.0.21  the root (NSD), signed with its own keys; root.ds its KSK's
#               DS (the trust anchor), delv.anchor delv's form of it,
#               hints the root hints
#   10.53.0.22  the zones under it (NSD), ldns-signzone, ECDSA P-256 KSK +
#               ZSK unless said otherwise (res_dnssec.sh lists them)
#   10.53.0.23  n3. (NSEC3, Knot when knotd is installed, else NSD)
# signed_unbound [LINES] starts the reference, a validating Unbound at
# 10.53.0.31 on the same hints and anchor.
# Needs ldns-keygen and ldns-signzone.

# keys ZONE [ALG]: a KSK and a ZSK; prints the base names (KSK first)
keys() {
    local k z a=${2:-ECDSAP256SHA256}
    k=$(ldns-keygen -a $a -b 2048 -k "$1") || fail "ldns-keygen $1"
    z=$(ldns-keygen -a $a -b 2048 "$1") || fail "ldns-keygen $1"
    echo "$k $z"
}
# sign FILE ZONE INC EXP [ldns-signzone options] KEYS...
sign() {
    local f=$1 z=$2 i=$3 e=$4
    shift 4
    ldns-signzone -o "$z" -i "$i" -e "$e" -f "$f.signed" "$f" "$@" ||
        fail "ldns-signzone $z"
}
ds_of() { # KSK base name: its DS record, with a TTL
    awk '{ print $1, 3600, "IN", "DS", $4, $5, $6, $7 }' "$1.ds"
}
zone_head() { # ZONE NS-ADDR
    printf '$TTL 3600\n%s SOA ns.%s host.%s 1 1800 900 604800 300\n%s NS ns.%s\nns.%s A %s\n' \
        "$1" "$1" "$1" "$1" "$1" "$1" "$2"
}

signed_tree() {
for a in 21 22 23; do
    run ip addr add 10.53.0.$a/24 dev v0 || fail "ip addr add 10.53.0.$a"
done
mkdir "$TMP/signed" && cd "$TMP/signed" || exit 1

day=86400
now=$(date +%s)
inc=$((now - day))
exp=$((now + 30 * day))
old_inc=$((now - 60 * day))
old_exp=$((now - 30 * day))
# the zones below the root, each with keys where signed
zone_head sec. 10.53.0.22 >sec.zone
cat >>sec.zone <<'EOF'
www 300 A 192.0.2.1
www 300 A 192.0.2.2
*.wild 300 A 192.0.2.9
alias 300 CNAME www
xs 300 CNAME www.n3.
out 300 CNAME www.ins.
sub NS ns.sec.
uns NS ns.sec.
EOF
zone_head sub.sec. 10.53.0.22 >sub.sec.zone
echo 'www 300 A 192.0.2.11' >>sub.sec.zone
zone_head uns.sec. 10.53.0.22 >uns.sec.zone
echo 'www 300 A 192.0.2.12' >>uns.sec.zone
for z in n3 it oo ins nods alg bad exp miss nta a8 a10 a14 a15 notyet nosig; do
    zone_head $z. 10.53.0.22 >$z.zone
    echo "www 300 A 192.0.2.$((100 + ${#z}))" >>$z.zone
    echo "*.wild 300 TXT \"wild $z\"" >>$z.zone
done
sed -i 's/10.53.0.22/10.53.0.23/' n3.zone

read -r subk subz <<<"$(keys sub.sec.)"
sign sub.sec.zone sub.sec. $inc $exp $subk $subz
ds_of "$subk" >>sec.zone
read -r seck secz <<<"$(keys sec.)"
sign sec.zone sec. $inc $exp $seck $secz
read -r n3k n3z <<<"$(keys n3.)"
sign n3.zone n3. $inc $exp -n -s beef -t 0 $n3k $n3z
read -r itk itz <<<"$(keys it.)"
sign it.zone it. $inc $exp -n -s beef -t 200 $itk $itz
echo 'deleg NS ns.oo.' >>oo.zone
read -r ook ooz <<<"$(keys oo.)"
sign oo.zone oo. $inc $exp -n -p -s beef -t 0 $ook $ooz
ads=""
for a in 8:RSASHA256 10:RSASHA512 14:ECDSAP384SHA384 15:ED25519; do
    z=a${a%%:*}
    read -r ak az <<<"$(keys $z. ${a#*:})"
    sign $z.zone $z. $inc $exp $ak $az
    ads="$ads $ak"
done
read -r nyk nyz <<<"$(keys notyet.)"
sign notyet.zone notyet. $((now + 30 * day)) $((now + 60 * day)) $nyk $nyz
read -r nsk nsz <<<"$(keys nosig.)"
sign nosig.zone nosig. $inc $exp $nsk $nsz
sed -i '/^www\.nosig\.[[:space:]].*RRSIG[[:space:]]*A[[:space:]]/d' nosig.zone.signed
grep -q '^www\.nosig\..*RRSIG' nosig.zone.signed && grep '^www\.nosig\..*RRSIG[[:space:]]*A ' nosig.zone.signed &&
    fail "cannot strip www.nosig.'s RRSIG"
read -r nodsk nodsz <<<"$(keys nods.)"
sign nods.zone nods. $inc $exp $nodsk $nodsz
read -r badk badz <<<"$(keys bad.)"
sign bad.zone bad. $inc $exp $badk $badz
sed -i 's/^\(www\.bad\.[[:space:]].*A[[:space:]]*\)192\.0\.2\.103/\1192.0.2.66/' bad.zone.signed
grep -q '192\.0\.2\.66' bad.zone.signed || fail "cannot break bad.'s A record"
read -r ntak ntaz <<<"$(keys nta.)"
sign nta.zone nta. $inc $exp $ntak $ntaz
sed -i 's/^\(www\.nta\.[[:space:]].*A[[:space:]]*\)192\.0\.2\.103/\1192.0.2.66/' nta.zone.signed
read -r expk expz <<<"$(keys exp.)"
sign exp.zone exp. $old_inc $old_exp $expk $expz
read -r missk missz <<<"$(keys miss.)"
read -r otherk _ <<<"$(keys miss.)"
sign miss.zone miss. $inc $exp $missk $missz
cp ins.zone ins.zone.signed
cp alg.zone alg.zone.signed
cp uns.sec.zone uns.sec.zone.signed

# the root: delegations, DS records, glue
{
    printf '$TTL 86400\n. SOA a.root. host.root. 1 1800 900 604800 60\n'
    printf '. NS a.root.\na.root. A 10.53.0.21\n'
    for z in sec n3 it oo ins nods alg bad exp miss nta a8 a10 a14 a15 notyet nosig; do
        printf '%s. NS ns.%s.\n' $z $z
    done
    for z in sec it oo ins nods alg bad exp miss nta a8 a10 a14 a15 notyet nosig; do
        printf 'ns.%s. A 10.53.0.22\n' $z
    done
    printf 'ns.n3. A 10.53.0.23\n'
    ds_of "$seck"
    ds_of "$n3k"
    ds_of "$itk"
    ds_of "$ook"
    for k in $ads $nyk $nsk; do ds_of "$k"; done
    ds_of "$badk"
    ds_of "$expk"
    ds_of "$otherk" # miss.: a key that signs nothing
    ds_of "$ntak"
    echo "alg. 3600 IN DS 4711 253 2 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF"
} >root.zone
read -r rootk rootz <<<"$(keys .)"
sign root.zone . $inc $exp $rootk $rootz
ds_of "$rootk" >root.ds
grep -q ' DS ' root.ds || fail "no root DS"
# delv's form of the same anchor
read -r _ _ _ _ tag alg dt digest <<<"$(cat root.ds)"
printf 'trust-anchors { "." static-ds %s %s %s "%s"; };\n' \
    "$tag" "$alg" "$dt" "$digest" >delv.anchor

sd=$TMP/signed
# nsd-signed$N.conf: ZONE's signed file $sd/ZONE.zone.signed (res_tree.bash)
nsd_zones() { nsd_conf_in "$sd" nsd-signed .signed "$@"; } # N ADDR ZONE...
nsd_zones 21 10.53.0.21 .
nsd_zones 22 10.53.0.22 sec. sub.sec. uns.sec. it. oo. a8. a10. a14. a15. notyet. nosig. ins. nods. alg. bad. exp. miss. nta.
for n in 21 22; do
    ip netns exec "$NS" nsd -d -c "$sd/nsd-signed$n.conf" >"$TMP/nsd-signed$n.out.log" 2>&1 &
    PIDS+=($!)
done
# n3. from Knot where it is installed (a second implementation), else NSD
if command -v knotd >/dev/null; then
    mkdir -p knot
    cat >knot.conf <<EOF
server:
    listen: 10.53.0.23@53
    rundir: "$sd/knot"
database:
    storage: "$sd/knot"
log:
  - target: "$TMP/knot.log"
    any: info
zone:
  - domain: n3.
    file: "$sd/n3.zone.signed"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
EOF
    ip netns exec "$NS" knotd -c "$sd/knot.conf" >"$TMP/knot.out.log" 2>&1 &
    PIDS+=($!)
    n3by=Knot
else
    nsd_zones 23 10.53.0.23 n3.
    ip netns exec "$NS" nsd -d -c "$sd/nsd-signed23.conf" >"$TMP/nsd-signed23.out.log" 2>&1 &
    PIDS+=($!)
    n3by=NSD
fi
printf '.        3600000 NS a.root.\na.root.  3600000 A  10.53.0.21\n' >hints
}

# signed_unbound [LINES]: a validating Unbound at 10.53.0.31 (the
# reference) on the signed tree's hints and anchor, nta. insecure; LINES
# (unbound.conf text) added to its configuration; its PID in PIDS.
signed_unbound() {
    cat >"$sd/unbound.conf" <<EOF
server:
    interface: 10.53.0.31
    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    directory: "$sd"
    pidfile: "$sd/unbound.pid"
    logfile: "$TMP/unbound.log"
    use-syslog: no
    root-hints: "$sd/hints"
    module-config: "validator iterator"
    trust-anchor-file: "$sd/root.ds"
    domain-insecure: "nta."
    ede: yes
    access-control: 10.53.0.0/24 allow
    do-not-query-localhost: no
    harden-referral-path: no
    target-fetch-policy: "0 0 0 0 0"
${1:-}remote-control:
    control-enable: no
EOF
    ip netns exec "$NS" unbound -d -c "$sd/unbound.conf" >"$TMP/unbound.out.log" 2>&1 &
    PIDS+=($!)
}
