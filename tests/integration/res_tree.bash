# res_tree.bash -- the private DNS tree of res_tree.sh, for every test
# that resolves over it (sourced, not run: the runner only runs *.sh).
# Sourcing it (after TEST_NAME is set) defines fail, skip and tree_need
# (the root and tool checks); tree_start, with the tools checked, builds
# the tree, with a cleanup trap on EXIT that stops exactly the PIDs in
# PIDS and removes the namespace and TMP:
#   NS     a network namespace (tbres$$), run CMD... runs in it
#   v0/v1  a veth pair in it: 10.53.0.1-5, .9, .10, .11 and 10.54.0.1 on
#          v0; 10.53.0.6 answers nothing (ARP unanswered on v1)
#   NSD    five instances: the root (.1), tld. (.2), example.tld. (.3),
#          other. and glueless.tld. (.4), and .5 serving unrelated.,
#          private. and fwd. (not delegated: stub and forward targets)
#          and refusing lame.; their PIDs in PIDS
#   TMP    the working directory (cd'd into), with the zone files and
#          hints (root hints: a.root. 10.53.0.1)
# Callers add their own servers to PIDS before the trap runs.  Defined:
#   tree_unbound [SERVER-LINES [ZONE-LINES]]   starts Unbound at 10.53.0.11,
#                  the reference resolver
#   tree_wait_up TRIES ADDR NAME [dig args]   waits until ADDR answers
#   tree_verify NAME   tibra verify of dist/NAME.T for each T in $targets
#   nsd_conf_in DIR NAME SUFFIX N ADDR ZONE...   an NSD configuration
#   tree_ask ADDR NAME TYPE [dig args]   status + answer, TTLs out, sorted
#   tree_cases     the NAME/TYPE questions compared over the tree
# fail MSG: FAIL line, the tail of every $TMP/*.log (and of
# $TMP/$TREE_LOG_DIR/*.log when TREE_LOG_DIR is set), exit 1.
# skip MSG: SKIP line, exit 77.  Both name the test TEST_NAME.
fail() {
    echo "FAIL $TEST_NAME: $*"
    for f in "${TMP:-/nonexistent}"/*.log ${TREE_LOG_DIR:+"${TMP:-/nonexistent}/$TREE_LOG_DIR"/*.log}; do
        [ -f "$f" ] && sed "s#^#    $(basename "$f"): #" "$f" | tail -30
    done
    exit 1
}
skip() {
    echo "SKIP $TEST_NAME: $*"
    exit 77
}
# tree_need WHY TOOL...: skips unless root (WHY: what root is needed for)
# and every TOOL is installed.
tree_need() {
    local why=$1 t
    shift
    [ "$(id -u)" = 0 ] || skip "needs root ($why)"
    for t in "$@"; do
        command -v "$t" >/dev/null || skip "$t not installed"
    done
}

cleanup() {
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$p" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$p" 2>/dev/null
    done
    ip netns del "$NS" 2>/dev/null
    rm -rf "$TMP"
}
# Daemons are started with "ip netns exec" itself (it execs them), so $!
# is the daemon's PID and the trap stops exactly what it started.
run() { ip netns exec "$NS" "$@"; }

# nsd_conf_in DIR NAME SUFFIX N ADDR ZONE...: writes NAME$N.conf (in the
# working directory) for an NSD on ADDR serving each ZONE from
# DIR/ZONE.zoneSUFFIX (the root: root.zoneSUFFIX), state files in DIR,
# its log $TMP/NAME$N.log.  Also used by res_signed.bash.
nsd_conf_in() {
    local dir=$1 name=$2 suffix=$3 n=$4 addr=$5 z f
    shift 5
    {
        echo "server:"
        echo "  ip-address: $addr"
        echo "  port: 53"
        echo "  do-ip6: no"
        echo "  username: \"\""
        echo "  chroot: \"\""
        echo "  zonesdir: \"$dir\""
        echo "  pidfile: \"$dir/nsd$n.pid\""
        echo "  database: \"\""
        echo "  xfrdfile: \"$dir/xfrd$n.state\""
        echo "  zonelistfile: \"$dir/zl$n\""
        echo "  logfile: \"$TMP/$name$n.log\""
        echo "  server-count: 1"
        echo "remote-control:"
        echo "  control-enable: no"
        for z in "$@"; do
            f=${z%.}
            [ "$z" = . ] && f=root
            echo "zone:"
            echo "  name: \"$z\""
            echo "  zonefile: \"$dir/$f.zone$suffix\""
        done
    } >"$name$n.conf"
}
nsd_conf() { nsd_conf_in "$TMP" nsd "" "$@"; } # N ADDR ZONE...

# tree_start: the namespace, veth, NSD servers, zones and hints (above).
tree_start() {
NS=tbres$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/tibra-res.XXXXXX")
PIDS=()
trap cleanup EXIT
trap 'exit 1' INT TERM

ip netns add "$NS" 2>/dev/null || skip "cannot create a network namespace"
run ip link set lo up
# A veth pair inside the namespace: the servers' addresses on v0; what is
# sent to 10.53.0.6 finds no one (ARP unanswered on v1): unresponsive.
run ip link add v0 type veth peer name v1 || skip "no veth support"
run ip link set v0 up
run ip link set v1 up
for a in 1 2 3 4 5 9 10 11; do
    run ip addr add 10.53.0.$a/24 dev v0 || fail "ip addr add 10.53.0.$a"
done
# a client outside both resolvers' allow lists
run ip addr add 10.54.0.1/24 dev v0 || fail "ip addr add 10.54.0.1"

cd "$TMP" || exit 1
cat >root.zone <<'EOF'
$TTL 86400
.           SOA a.root. host.root. 1 1800 900 604800 60
.           NS  a.root.
a.root.     A   10.53.0.1
tld.        NS  ns1.tld.
ns1.tld.    A   10.53.0.2
other.      NS  ns.other.
ns.other.   A   10.53.0.4
lame.       NS  ns.lame.
ns.lame.    A   10.53.0.5
dead.       NS  ns.dead.
ns.dead.    A   10.53.0.6
EOF
cat >tld.zone <<'EOF'
$TTL 86400
@           SOA ns1 host 1 1800 900 604800 60
@           NS  ns1
ns1         A   10.53.0.2
example     3600 NS ns1.example
example     3600 NS ns2.example
ns1.example 3600 A  10.53.0.3
ns2.example 3600 A  10.53.0.6
glueless    3600 NS ns.other.
EOF
big=$(printf '"%s" ' $(for i in $(seq 8); do printf 'x%.0s' $(seq 200); echo; done))
cat >example.tld.zone <<EOF
\$TTL 3600
@           SOA ns1 host 1 1800 900 604800 120
@           NS  ns1
@           NS  ns2
ns1         A   10.53.0.3
ns2         A   10.53.0.6
www     300 A   192.0.2.1
www     300 A   192.0.2.2
alias   300 CNAME www
ext     300 CNAME www.other.
extnx   300 CNAME nothere.other.
mail    300 A   192.0.2.25
a.b.c   300 A   192.0.2.50
stale     1 A   192.0.2.77
@       300 MX  10 mail
big     300 TXT $big
EOF
cat >other.zone <<'EOF'
$TTL 3600
@           SOA ns host 1 1800 900 604800 30
@           NS  ns
ns          A   10.53.0.4
www     600 A   192.0.2.20
EOF
cat >glueless.tld.zone <<'EOF'
$TTL 3600
@           SOA ns.other. host 1 1800 900 604800 30
@           NS  ns.other.
host    600 A   192.0.2.30
EOF
cat >unrelated.zone <<'EOF'
$TTL 3600
@           SOA ns host 1 1800 900 604800 30
@           NS  ns
ns          A   10.53.0.5
EOF
# Not delegated from the root: reached only through the resolvers' stub
# (private.) and forward (fwd.) zones, both served by NSD at .5.
cat >private.zone <<'EOF'
$TTL 3600
@           SOA ns host 1 1800 900 604800 30
@           NS  ns
ns          A   10.53.0.5
www     600 A   192.0.2.60
out     600 CNAME www.example.tld.
EOF
cat >fwd.zone <<'EOF'
$TTL 3600
@           SOA ns host 1 1800 900 604800 30
@           NS  ns
ns          A   10.53.0.5
www     600 A   192.0.2.70
www     600 TXT "forwarded"
EOF

nsd_conf 1 10.53.0.1 .
nsd_conf 2 10.53.0.2 tld.
nsd_conf 3 10.53.0.3 example.tld.
nsd_conf 4 10.53.0.4 other. glueless.tld.
nsd_conf 5 10.53.0.5 unrelated. private. fwd.
for n in 1 2 3 4 5; do
    ip netns exec "$NS" nsd -d -c "$TMP/nsd$n.conf" >"nsd$n.out.log" 2>&1 &
    PIDS+=($!)
done

cat >hints <<'EOF'
.        3600000 NS a.root.
a.root.  3600000 A  10.53.0.1
EOF
}

# tree_unbound [SERVER-LINES [ZONE-LINES]]: Unbound at 10.53.0.11 (the
# reference): the same root hints, the stub (private.) and forward (fwd.)
# zones at .5 (ZONE-LINES, when given, instead); SERVER-LINES (server:
# options, each line ending in a newline) added; its PID in PIDS.
tree_unbound() {
    local zones='stub-zone:
    name: "private."
    stub-addr: 10.53.0.5
forward-zone:
    name: "fwd."
    forward-addr: 10.53.0.5
'
    [ $# -ge 2 ] && zones=$2
    cat >unbound.conf <<EOF
server:
    interface: 10.53.0.11
${1:-}    port: 53
    do-ip6: no
    username: ""
    chroot: ""
    directory: "$TMP"
    pidfile: "$TMP/unbound.pid"
    logfile: "$TMP/unbound.log"
    use-syslog: no
    root-hints: "$TMP/hints"
    module-config: "iterator"
    access-control: 10.53.0.0/24 allow
    do-not-query-localhost: no
    harden-referral-path: no
    target-fetch-policy: "0 0 0 0 0"
${zones}remote-control:
    control-enable: no
EOF
    ip netns exec "$NS" unbound -d -c "$TMP/unbound.conf" >unbound.out.log 2>&1 &
    PIDS+=($!)
}

# tree_wait_up TRIES ADDR NAME [dig args]: polls (TRIES times, 0.1 s
# apart) until ADDR, in NS, answers NAME SOA; fails if it never does.
tree_wait_up() {
    local t=$1 a=$2 n=$3
    shift 3
    for _ in $(seq "$t"); do
        run dig @"$a" +time=1 +tries=1 "$@" "$n" SOA >/dev/null 2>&1 &&
            return 0
        sleep 0.1
    done
    fail "$a does not answer"
}

# tree_verify NAME: for each target in $targets, tibra verify ($TB)
# rebuilds dist/NAME.TARGET from its record to the same bytes, or fail.
tree_verify() {
    # shellcheck disable=SC2154 # targets: set by the caller
    for t in $targets; do
        out=$("$TB" verify "dist/$1.$t" 2>&1) ||
            fail "tibra verify dist/$1.$t: $out"
        printf '%s\n' "$out" | grep -q '^identical' || fail "verify $t: $out"
    done
}

# tree_ask ADDR NAME TYPE [dig args]: the status and answer section,
# TTLs left out, sorted (what is compared between resolvers).
tree_ask() {
    local a=$1 n=$2 ty=$3
    shift 3
    run dig @"$a" +time=10 +tries=2 +ignore +noall +comments +answer "$@" \
        "$n" "$ty" 2>&1 |
        awk '/->>HEADER<<-/ { for (i = 1; i <= NF; i++)
                                if ($i == "status:") s = $(i + 1)
                              sub(/,$/, "", s) }
             /^;; flags:/ { tc = ($0 ~ / tc[ ;]/) ? " tc" : "" }
             /^[^;]/ && NF >= 5 { $2 = ""; print }
             END { print "status " s tc }' | sort
}

# The questions asked of both resolvers (NAME/TYPE): every case above.
tree_cases="www.example.tld/A alias.example.tld/A ext.example.tld/A
extnx.example.tld/A nx.example.tld/A www.example.tld/AAAA
example.tld/MX example.tld/NS tld/SOA host.glueless.tld/A www.other/A
nothere.other/A big.example.tld/TXT www.lame/A a.b.c.example.tld/A
c.example.tld/A x.y.nx.example.tld/TXT www.private/A out.private/A
nx.private/A www.fwd/A www.fwd/TXT nx.fwd/A www.fwd/MX"
