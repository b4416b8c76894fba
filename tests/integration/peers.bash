# peers.bash -- NSD, Knot and BIND beside tibra-dnsd for the transfer tests
# (sourced after dnsd.bash and dnsd_setup, not run).  Each peer listens on
# 127.0.0.1 at a port of its own and keeps its files, log included, in
# $TMP/nsd, $TMP/knot or $TMP/bind.  Only the PIDs started here are
# stopped; every wait is bounded.
#
#   peer_setup             PIDS=(); the EXIT trap stops them, then
#                          dnsd_cleanup
#   peer_nsd PORT          writes nsd.conf: its server: section, then
#                          stdin; starts nsd; PID in NSD_PID and PIDS
#   peer_knot PORT         knot.conf: server:, database:, log:, then
#                          stdin; starts knotd; PID in KNOT_PID and PIDS
#   peer_bind PORT [OPT..] named.conf: options { the common ones, OPT
#                          (one statement each) }, then stdin; starts
#                          named; PID in BIND_PID and PIDS
#   peer_secondaries [KEY SECRET]
#                          NSD at $NPORT, Knot at $KPORT, BIND at $BPORT:
#                          secondaries of example.test from tibra-dnsd at
#                          $PORT, NOTIFY taken from 127.0.0.1; with KEY
#                          (hmac-sha256, SECRET in base64) every transfer
#                          is signed
#   peer_stop PID          SIGTERM, up to 5 s, then SIGKILL (pid_stop)
#   knot_tibra_xfr         prints knot.conf's remote "tibra" (tibra-dnsd
#                          at $PORT), acl "xfr" (127.0.0.1 may transfer)
#                          and a default template (files in $TMP/knot,
#                          semantic checks off)
#   wait_for WHAT CMD...   up to 20 s for CMD to succeed, else the peers'
#                          last log lines and fail
#   serial_at PORT         the serial of example.test's SOA at PORT
#   serial_is PORT N       serial_at PORT is N

peer_setup() {
    PIDS=()
    trap peer_cleanup EXIT
}

peer_stop() { pid_stop "$1"; }

knot_tibra_xfr() {
    cat <<EOF
remote:
  - id: tibra
    address: 127.0.0.1@$PORT
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$TMP/knot"
    semantic-checks: off
EOF
}

peer_cleanup() {
    local p
    for p in "${PIDS[@]}"; do
        kill -TERM "$p" 2>/dev/null
    done
    for p in "${PIDS[@]}"; do # bounded: 5 s each at most, then SIGKILL
        peer_stop "$p"
    done
    dnsd_cleanup
}

peer_nsd() {
    mkdir -p "$TMP/nsd"
    {
        cat <<EOF
server:
    ip-address: 127.0.0.1@$1
    zonesdir: "$TMP/nsd"
    database: ""
    pidfile: "$TMP/nsd/nsd.pid"
    xfrdfile: "$TMP/nsd/xfrd.state"
    zonelistfile: "$TMP/nsd/zone.list"
    xfrdir: "$TMP/nsd"
    logfile: "$TMP/nsd/log"
    username: ""
    verbosity: 2
EOF
        cat
    } >"$TMP/nsd/nsd.conf"
    nsd -d -c "$TMP/nsd/nsd.conf" 2>>"$TMP/nsd/log" &
    NSD_PID=$!
    PIDS+=("$NSD_PID")
}

peer_knot() {
    mkdir -p "$TMP/knot"
    {
        cat <<EOF
server:
    rundir: "$TMP/knot"
    listen: 127.0.0.1@$1
database:
    storage: "$TMP/knot"
log:
  - target: "$TMP/knot/log"
    any: info
EOF
        cat
    } >"$TMP/knot/knot.conf"
    knotd -c "$TMP/knot/knot.conf" 2>>"$TMP/knot/log" &
    KNOT_PID=$!
    PIDS+=("$KNOT_PID")
}

peer_bind() {
    local port=$1 opt
    shift
    mkdir -p "$TMP/bind"
    {
        cat <<EOF
options {
    directory "$TMP/bind";
    pid-file "$TMP/bind/named.pid";
    session-keyfile "$TMP/bind/session.key";
    managed-keys-directory "$TMP/bind";
    listen-on port $port { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    dnssec-validation no;
EOF
        for opt in "$@"; do
            echo "    $opt"
        done
        echo "};"
        cat
    } >"$TMP/bind/named.conf"
    named -g -c "$TMP/bind/named.conf" >"$TMP/bind/log" 2>&1 &
    BIND_PID=$!
    PIDS+=("$BIND_PID")
}

peer_secondaries() {
    local key=${1:-} secret=${2:-} bkey=
    [ -n "$key" ] && bkey=" key \"$key\""
    peer_nsd "$NPORT" < <(
        [ -n "$key" ] &&
            printf 'key:\n    name: %s\n    algorithm: %s\n    secret: "%s"\n' \
                "$key" hmac-sha256 "$secret"
        cat <<EOF
zone:
    name: example.test
    zonefile: example.test.zone
    request-xfr: 127.0.0.1@$PORT ${key:-NOKEY}
    allow-notify: 127.0.0.1 NOKEY
EOF
    )
    peer_knot "$KPORT" < <(
        [ -n "$key" ] &&
            printf 'key:\n  - id: %s\n    algorithm: %s\n    secret: %s\n' \
                "$key" hmac-sha256 "$secret"
        printf 'remote:\n  - id: tibra\n    address: 127.0.0.1@%s\n' "$PORT"
        [ -n "$key" ] && echo "    key: $key"
        cat <<EOF
acl:
  - id: notify
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: "$TMP/knot"
    semantic-checks: off
zone:
  - domain: example.test
    file: "example.test.zone"
    master: tibra
    acl: notify
EOF
    )
    peer_bind "$BPORT" "notify no;" < <(
        [ -n "$key" ] &&
            printf 'key "%s" {\n    algorithm %s;\n    secret "%s";\n};\n' \
                "$key" hmac-sha256 "$secret"
        cat <<EOF
zone "example.test" {
    type secondary;
    primaries { 127.0.0.1 port $PORT$bkey; };
    file "example.test.db";
    masterfile-format text;
    allow-notify { 127.0.0.1; };
};
EOF
    )
}

wait_for() {
    local what=$1 f
    shift
    for _ in $(seq 200); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    for f in "$TMP/nsd/log" "$TMP/knot/log" "$TMP/bind/log"; do
        [ -f "$f" ] &&
            tail -n 15 "$f" | sed "s/^/    $(basename "$(dirname "$f")")| /"
    done
    fail "$what: not within 20 s"
}

serial_at() {
    dig @127.0.0.1 -p "$1" +time=1 +tries=1 +short example.test SOA |
        awk '{print $3}'
}
serial_is() { [ "$(serial_at "$1")" = "$2" ]; }
