#!/usr/bin/env bash
# Start a throw-away single-node Ceph RGW (S3) cluster on 127.0.0.1 for tests.
#
# usage: tools/gateway-start.sh [--gateways N] [--dir DIR] [--port BASE]
#                               [--mon-port PORT]
#        tools/gateway-start.sh [--dir DIR] --restart-gateway NAME|INDEX
#
#   --gateways N   number of radosgw processes (client.rgw.a, .b, ...), default 1
#   --dir DIR      everything (conf, data, logs, sockets, pids) lives here,
#                  default $GWSYNC_RGW_DIR or /tmp/gwsync-rgw
#   --port BASE    gateway i listens on 127.0.0.1:BASE+i, default
#                  $GWSYNC_RGW_PORT or 7480
#   --mon-port P   monitor port, default $GWSYNC_RGW_MON_PORT, else the first
#                  free port from 3390 up
#   --restart-gateway b|1
#                  start gateway b (letter, or 0-based index in the endpoint
#                  list) of the cluster in DIR again after it was killed
#
# One monitor, one memstore OSD (data in RAM), N gateways onto the same data.
# If a cluster started by this script is already fully running in DIR, the
# env is just printed again. Otherwise DIR is wiped and a fresh cluster made.
# Users: gwsync-test (GWSYNC_TEST_ACCESS_KEY/SECRET_KEY) and gwsync-other
# (GWSYNC_TEST_OTHER_ACCESS_KEY/SECRET_KEY).
#
# stdout: the contents of DIR/env (shell-sourceable `export K='v'` lines), so
#   eval "$(tools/gateway-start.sh)"   or   . /tmp/gwsync-rgw/env
# stderr: progress. Stop with tools/gateway-stop.sh --dir DIR.
# Env: GWSYNC_RGW_TIMEOUT (s, per wait, default 60),
#      GWSYNC_RGW_MEMSTORE_BYTES (memstore size the OSD reports, default
#      64 GiB; the OSD turns full and writes hang at 95% of it: the 1 GiB
#      Ceph default is far too small).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

N=1; N_SET=0
DIR="${GWSYNC_RGW_DIR:-/tmp/gwsync-rgw}"
BASE="${GWSYNC_RGW_PORT:-7480}"; BASE_SET=0
MON_PORT="${GWSYNC_RGW_MON_PORT:-}"
RESTART=""
TIMEOUT="${GWSYNC_RGW_TIMEOUT:-60}"
MEMSTORE_BYTES="${GWSYNC_RGW_MEMSTORE_BYTES:-68719476736}"

TEST_UID=gwsync-test
TEST_ACCESS=GWSYNCTESTACCESSKEY0
TEST_SECRET=gwsyncTestSecretKey0000000000000000000000
OTHER_UID=gwsync-other
OTHER_ACCESS=GWSYNCOTHERACCESSKEY
OTHER_SECRET=gwsyncOtherSecretKey000000000000000000000
LETTERS=(a b c d e f g h i j k l m n o p q r s t u v w x y z)

START_MS=$(date +%s%3N)
log() { printf 'gateway-start [%5.1fs]: %s\n' \
  "$(( $(date +%s%3N) - START_MS ))e-3" "$*" >&2; }
die() { printf 'gateway-start: error: %s\n' "$*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --gateways|--dir|--port|--mon-port|--restart-gateway)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      case "$1" in
        --gateways) N="$2"; N_SET=1 ;;
        --dir) DIR="$2" ;;
        --port) BASE="$2"; BASE_SET=1 ;;
        --mon-port) MON_PORT="$2" ;;
        --restart-gateway) RESTART="$2" ;;
      esac
      shift 2 ;;
    --gateways=*) N="${1#*=}"; N_SET=1; shift ;;
    --dir=*) DIR="${1#*=}"; shift ;;
    --port=*) BASE="${1#*=}"; BASE_SET=1; shift ;;
    --mon-port=*) MON_PORT="${1#*=}"; shift ;;
    --restart-gateway=*) RESTART="${1#*=}"; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown argument: $1" ;;
  esac
done

[[ "$N" =~ ^[0-9]+$ && "$N" -ge 1 && "$N" -le 26 ]] || die "--gateways must be 1..26"
[[ "$BASE" =~ ^[0-9]+$ && "$BASE" -ge 1024 && $((BASE + N - 1)) -le 65535 ]] \
  || die "bad --port $BASE"
[[ -z "$MON_PORT" || "$MON_PORT" =~ ^[0-9]+$ ]] || die "bad --mon-port $MON_PORT"
[[ -n "$DIR" ]] || die "empty --dir"
DIR="$(realpath -m -- "$DIR")"
[[ "$DIR" != / && "$DIR" != *[[:space:]\'\"\\]* ]] \
  || die "--dir must not be / nor contain whitespace or quotes: $DIR"

CONF="$DIR/ceph.conf"
MARKER="$DIR/.gwsync-rgw"
STATE="$DIR/state"
ENVF="$DIR/env"

# ---------------------------------------------------------------- helpers

ensure_packages() {
  local c missing=0
  for c in ceph-mon ceph-osd radosgw ceph radosgw-admin monmaptool \
           ceph-authtool curl python3; do
    command -v "$c" >/dev/null 2>&1 || missing=1
  done
  [[ $missing -eq 1 ]] || return 0
  local -a pkgs=(ceph-mon ceph-osd radosgw ceph-common curl uuid-runtime)
  local -a sudo=()
  if [[ $EUID -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "ceph packages missing and not root (no sudo)"
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  log "installing ${pkgs[*]} (post-install 'cannot start service' noise is harmless)"
  if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
    "${sudo[@]}" apt-get update >&2
  fi
  if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${pkgs[@]}" >&2; then
    "${sudo[@]}" apt-get update >&2
    "${sudo[@]}" apt-get install -y --no-install-recommends "${pkgs[@]}" >&2 \
      || die "apt-get install failed"
  fi
}

# Alive = /proc/PID exists, not a zombie, and its command line names our conf
# (so a recycled pid or a daemon of another DIR never counts).
pid_alive() {
  local pid="$1" stat state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  state="${stat##*) }"; state="${state%% *}"
  [[ "$state" != Z && "$state" != X ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$CONF"
}
daemon_alive() { pid_alive "$(cat "$DIR/pids/$1.pid" 2>/dev/null || true)"; }

port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

new_uuid() {
  if [[ -r /proc/sys/kernel/random/uuid ]]; then cat /proc/sys/kernel/random/uuid
  else uuidgen; fi
}

show_logs() {  # name...
  local n f
  for n in "$@"; do
    for f in "$DIR/log/$n.log" "$DIR/log/$n.out"; do
      [[ -s "$f" ]] || continue
      printf '%s\n' "---- tail of $f" >&2
      tail -n 25 "$f" >&2
    done
  done
}
fail() {  # message, daemon names whose logs to show
  local msg="$1"; shift
  show_logs "$@"
  die "$msg"
}

# start_daemon NAME CMD...: own session, detached from our stdio (so that
# `eval "$(gateway-start.sh)"` does not wait for the daemons), pid recorded.
start_daemon() {
  local name="$1"; shift
  setsid "$@" </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/pids/$name.pid"
}

# asok_cmd SOCKET PREFIX: one admin-socket command without the (slow to start)
# ceph CLI. Prints the JSON reply.
asok_cmd() {
  python3 - "$1" "$2" <<'PY'
import json, socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(2)
s.connect(sys.argv[1])
s.sendall(json.dumps({"prefix": sys.argv[2]}).encode() + b"\0")
def rd(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise EOFError
        b += c
    return b
sys.stdout.write(rd(struct.unpack(">I", rd(4))[0]).decode())
PY
}

wait_osd_active() {
  local asok="$DIR/run/osd.0.asok" deadline=$((SECONDS + TIMEOUT)) out
  while :; do
    daemon_alive osd.0 || fail "ceph-osd died during start-up" osd.0 mon.a
    if [[ -S "$asok" ]] && out="$(asok_cmd "$asok" status 2>/dev/null)" \
       && [[ "$out" == *'"state": "active"'* ]]; then
      return 0
    fi
    [[ $SECONDS -lt $deadline ]] \
      || fail "OSD not active after ${TIMEOUT}s (last status: ${out:-none})" osd.0 mon.a
    sleep 0.05
  done
}

wait_http() {  # name port
  local name="$1" port="$2" deadline=$((SECONDS + TIMEOUT)) code=000
  while :; do
    daemon_alive "$name" || fail "radosgw $name died during start-up" "$name"
    code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
            "http://127.0.0.1:$port/" 2>/dev/null || true)"
    [[ "$code" != 200 ]] || return 0
    [[ $SECONDS -lt $deadline ]] \
      || fail "$name: no HTTP 200 on http://127.0.0.1:$port/ after ${TIMEOUT}s (last: $code)" "$name"
    sleep 0.05
  done
}

start_gateway() {  # index
  local i="$1" name="client.rgw.${LETTERS[$1]}"
  start_daemon "$name" radosgw -f -c "$CONF" -n "$name"
}

write_env() {
  local i eps="" asoks=""
  for ((i = 0; i < N; i++)); do
    eps+="${eps:+ }http://127.0.0.1:$((BASE + i))"
    asoks+="${asoks:+ }$DIR/run/client.rgw.${LETTERS[$i]}.asok"
  done
  cat >"$ENVF.tmp" <<EOF
# written by tools/gateway-start.sh; source it: . $ENVF
export GWSYNC_TEST_ENDPOINTS='$eps'
export GWSYNC_TEST_ENDPOINT='http://127.0.0.1:$BASE'
export GWSYNC_TEST_ACCESS_KEY='$TEST_ACCESS'
export GWSYNC_TEST_SECRET_KEY='$TEST_SECRET'
export GWSYNC_TEST_OTHER_ACCESS_KEY='$OTHER_ACCESS'
export GWSYNC_TEST_OTHER_SECRET_KEY='$OTHER_SECRET'
export GWSYNC_TEST_RGW_DIR='$DIR'
export GWSYNC_TEST_ASOKS='$asoks'
export GWSYNC_TEST_CEPH_CONF='$CONF'
EOF
  mv -f "$ENVF.tmp" "$ENVF"
}

load_state() {
  [[ -f "$MARKER" && -f "$STATE" ]] || return 1
  # shellcheck disable=SC1090
  read -r S_N S_BASE S_MON < <(. "$STATE"; echo "$N $BASE $MON_PORT")
  [[ "$S_N" =~ ^[0-9]+$ && "$S_BASE" =~ ^[0-9]+$ ]]
}

cluster_running() {  # all daemons recorded in STATE alive
  load_state || return 1
  local i
  daemon_alive mon.a && daemon_alive osd.0 || return 1
  for ((i = 0; i < S_N; i++)); do
    daemon_alive "client.rgw.${LETTERS[$i]}" || return 1
  done
  [[ -f "$ENVF" ]]
}

ensure_packages

# ------------------------------------------------ restart a single gateway
if [[ -n "$RESTART" ]]; then
  load_state || die "no cluster made by gateway-start.sh in $DIR"
  N="$S_N"; BASE="$S_BASE"; MON_PORT="$S_MON"
  idx=-1
  if [[ "$RESTART" =~ ^[0-9]+$ ]]; then idx="$RESTART"
  else
    r="${RESTART#client.rgw.}"
    for ((i = 0; i < N; i++)); do [[ "${LETTERS[$i]}" != "$r" ]] || idx=$i; done
  fi
  [[ "$idx" -ge 0 && "$idx" -lt "$N" ]] \
    || die "no gateway '$RESTART' in $DIR (it has $N: a..${LETTERS[$((N - 1))]} or 0..$((N - 1)))"
  name="client.rgw.${LETTERS[$idx]}"
  if ! daemon_alive mon.a || ! daemon_alive osd.0; then
    die "monitor/OSD of $DIR not running; start a fresh cluster instead"
  fi
  if daemon_alive "$name"; then
    log "$name already running"
  else
    port=$((BASE + idx))
    ! port_busy "$port" || die "port $port is in use by something else"
    log "restarting $name on port $port"
    start_gateway "$idx"
    wait_http "$name" "$port"
    log "$name ready"
  fi
  cat "$ENVF"
  exit 0
fi

# ------------------------------------------------ already running?
if cluster_running; then
  if [[ ($N_SET -eq 1 && "$N" != "$S_N") || ($BASE_SET -eq 1 && "$BASE" != "$S_BASE") ]]; then
    die "a cluster with $S_N gateway(s) on port $S_BASE is already running in $DIR; stop it first: $HERE/gateway-stop.sh --dir $DIR"
  fi
  log "cluster already running in $DIR"
  cat "$ENVF"
  exit 0
fi

# ------------------------------------------------ fresh cluster
if [[ -e "$DIR" ]]; then
  if [[ -f "$MARKER" ]]; then
    "$HERE/gateway-stop.sh" --dir "$DIR" --keep-data
  elif [[ -n "$(ls -A "$DIR" 2>/dev/null)" ]]; then
    die "$DIR exists, is not empty and was not made by this script; refusing to wipe it"
  fi
  rm -rf -- "$DIR"
fi

for ((i = 0; i < N; i++)); do
  ! port_busy $((BASE + i)) \
    || die "port $((BASE + i)) is already in use (another cluster? use --port, or gateway-stop.sh --dir ...)"
done
if [[ -z "$MON_PORT" ]]; then
  for ((MON_PORT = 3390; MON_PORT < 3490; MON_PORT++)); do
    port_busy "$MON_PORT" || break
  done
fi
! port_busy "$MON_PORT" || die "monitor port $MON_PORT is in use"
if (( (MON_PORT >= 6800 && MON_PORT <= 7300) || (BASE + N - 1 >= 6800 && BASE <= 7300) )); then
  die "keep monitor and gateway ports outside 6800-7300 (OSDs bind there)"
fi

mkdir -p "$DIR"/{run,log,pids,data}
touch "$MARKER"
# A failed start leaves no daemons behind (logs are kept in DIR/log).
on_exit() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    "$HERE/gateway-stop.sh" --dir "$DIR" --keep-data || true
    printf 'gateway-start: start failed; stopped what was started; logs kept in %s/log\n' "$DIR" >&2
  fi
  exit $rc
}
trap on_exit EXIT
trap 'exit 130' INT TERM HUP
cat >"$STATE" <<EOF
N=$N
BASE=$BASE
MON_PORT=$MON_PORT
EOF
log "creating cluster in $DIR: mon on $MON_PORT, $N gateway(s) from port $BASE"

FSID="$(new_uuid)"
{
  cat <<EOF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT]
auth cluster required = none
auth service required = none
auth client required = none
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
mon data = $DIR/data/\$name
osd data = $DIR/data/\$name
keyring = $DIR/mon.keyring
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
osd crush chooseleaf type = 0
paxos propose interval = 0.05
paxos min wait = 0.01
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
# do not shut the monitor down when the disk holding DIR gets (nearly) full
mon data avail crit = 0
mon data avail warn = 1

[client]
# deleted data is otherwise kept (in the OSD's RAM) for 2 h
rgw gc obj min wait = 30
rgw gc processor period = 30

[client.admin]
# no admin socket for the CLI / radosgw-admin (parallel runs would collide)
admin socket =
EOF
  for ((i = 0; i < N; i++)); do
    cat <<EOF

[client.rgw.${LETTERS[$i]}]
# without this radosgw fails with -13 (EACCES) insisting on a secure mon link
ms mon client mode = crc
# tcp_nodelay: without it Nagle's algorithm meets the client's delayed ACK
# and a small GET waits ~40 ms (measured with gwsync bench: 22 vs 650 GET/s)
rgw frontends = beast endpoint=127.0.0.1:$((BASE + i)) tcp_nodelay=1
rgw data = $DIR/data/client.rgw.${LETTERS[$i]}
EOF
  done
} >"$CONF"

ceph-authtool --create-keyring "$DIR/mon.keyring" --gen-key -n mon. \
  --cap mon 'allow *' >/dev/null
monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" \
  "$DIR/monmap" >/dev/null
ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" \
  --keyring "$DIR/mon.keyring" >"$DIR/log/mon.a.mkfs" 2>&1 \
  || { cat "$DIR/log/mon.a.mkfs" >&2; die "ceph-mon --mkfs failed"; }
start_daemon mon.a ceph-mon -c "$CONF" -i a -f
log "monitor started (pid $(cat "$DIR/pids/mon.a.pid"))"

OSD_UUID="$(new_uuid)"
if ! OSD_ID="$(timeout "$TIMEOUT" ceph -c "$CONF" osd new "$OSD_UUID" 2>"$DIR/log/osd-new.err")"; then
  cat "$DIR/log/osd-new.err" >&2
  fail "'ceph osd new' failed (monitor not reachable on port $MON_PORT?)" mon.a
fi
[[ "$OSD_ID" == 0 ]] || die "'ceph osd new' returned id '$OSD_ID', expected 0"
mkdir -p "$DIR/data/osd.0"
ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/osd.0.mkfs" 2>&1 \
  || { cat "$DIR/log/osd.0.mkfs" >&2; die "ceph-osd --mkfs failed"; }
start_daemon osd.0 ceph-osd -c "$CONF" -i 0 -f
log "OSD started (pid $(cat "$DIR/pids/osd.0.pid")), waiting for it to be active"
wait_osd_active
log "OSD active"

# The first gateway creates the RGW pools; the others start once it serves.
start_gateway 0
wait_http client.rgw.a "$BASE"
log "gateway client.rgw.a ready on port $BASE"

for ((i = 1; i < N; i++)); do start_gateway "$i"; done

mkuser() {  # uid access secret
  radosgw-admin -c "$CONF" user create --uid="$1" --display-name="$1" \
    --access-key="$2" --secret-key="$3" --max-buckets=10000 \
    >"$DIR/log/user-$1.out" 2>&1
}
mkuser "$TEST_UID" "$TEST_ACCESS" "$TEST_SECRET" & u1=$!
mkuser "$OTHER_UID" "$OTHER_ACCESS" "$OTHER_SECRET" & u2=$!
for ((i = 1; i < N; i++)); do
  wait_http "client.rgw.${LETTERS[$i]}" $((BASE + i))
done
[[ $N -le 1 ]] || log "gateways b..${LETTERS[$((N - 1))]} ready"
wait "$u1" || { tail -n 20 "$DIR/log/user-$TEST_UID.out" >&2; die "radosgw-admin user create $TEST_UID failed"; }
wait "$u2" || { tail -n 20 "$DIR/log/user-$OTHER_UID.out" >&2; die "radosgw-admin user create $OTHER_UID failed"; }
log "users $TEST_UID and $OTHER_UID created"

write_env
log "ready"
cat "$ENVF"
