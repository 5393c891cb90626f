#!/usr/bin/env bash
# Start a throw-away RabbitMQ (Debian's rabbitmq-server) on 127.0.0.1 for
# the change feed's tests.
#
# usage: tools/rabbitmq-start.sh [--dir DIR] [--port PORT]
#
#   --dir DIR    everything (data, logs, cookie, pid) lives here, default
#                $GWSYNC_AMQP_DIR or /tmp/gwsync-amqp
#   --port PORT  AMQP port, default $GWSYNC_AMQP_PORT or 5672; the Erlang
#                distribution listens on PORT+20000 and a private epmd on
#                PORT+10000, so nodes of other folders never meet
#
# The broker's only user is RabbitMQ's default guest/guest, which it admits
# from loopback only. If a broker started by this script already runs in
# DIR, the env is printed again; otherwise DIR is wiped and a fresh one made.
# stdout: DIR/env (`export K='v'` lines): GWSYNC_TEST_AMQP_URL, _PORT, _DIR,
# and what rabbitmqctl needs (GWSYNC_TEST_AMQP_CTL, a command prefix).
# Stop with tools/rabbitmq-stop.sh --dir DIR (by pid, never by name).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="${GWSYNC_AMQP_DIR:-/tmp/gwsync-amqp}"
PORT="${GWSYNC_AMQP_PORT:-5672}"
TIMEOUT="${GWSYNC_AMQP_TIMEOUT:-60}"
RABBIT_BIN=/usr/lib/rabbitmq/bin

die() { printf 'rabbitmq-start: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'rabbitmq-start: %s\n' "$*" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; DIR="$2"; shift 2 ;;
    --dir=*) DIR="${1#*=}"; shift ;;
    --port) [[ $# -ge 2 ]] || die "--port needs a value"; PORT="$2"; shift 2 ;;
    --port=*) PORT="${1#*=}"; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 0 ;;
    *) die "unknown argument: $1" ;;
  esac
done
[[ "$PORT" =~ ^[0-9]+$ && "$PORT" -ge 1024 && "$PORT" -le 45535 ]] || die "bad --port $PORT"
DIR="$(realpath -m -- "$DIR")"
[[ "$DIR" != / && "$DIR" != *[[:space:]\'\"\\]* ]] || die "bad --dir $DIR"
MARKER="$DIR/.gwsync-amqp"
ENVF="$DIR/env"
NODE="gwsync-$PORT@localhost"

if [[ ! -x "$RABBIT_BIN/rabbitmq-server" ]]; then
  export DEBIAN_FRONTEND=noninteractive
  log "installing rabbitmq-server"
  SUDO=""; [[ $EUID -eq 0 ]] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends rabbitmq-server >&2 \
    || { $SUDO apt-get update -qq >&2; $SUDO apt-get install -y -qq --no-install-recommends rabbitmq-server >&2; } \
    || die "apt-get install rabbitmq-server failed"
fi

port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
# Ours: alive, and started with DIR's environment (the broker's shell
# wrapper, its Erlang VM and epmd all carry RABBITMQ_MNESIA_BASE=DIR/mnesia),
# so a recycled pid never counts.
pid_ours() {
  local pid="$1"
  [[ "$pid" =~ ^[0-9]+$ && -r "/proc/$pid/environ" ]] || return 1
  { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qxF -- "RABBITMQ_MNESIA_BASE=$DIR/mnesia"
}

if [[ -f "$MARKER" && -f "$ENVF" ]] && pid_ours "$(cat "$DIR/server.pid" 2>/dev/null || true)"; then
  log "already running in $DIR"
  cat "$ENVF"
  exit 0
fi
if [[ -e "$DIR" ]]; then
  if [[ -f "$MARKER" ]]; then
    "$HERE/rabbitmq-stop.sh" --dir "$DIR"
  elif [[ -n "$(ls -A "$DIR" 2>/dev/null)" ]]; then
    die "$DIR exists, is not empty and was not made by this script; refusing to wipe it"
  fi
  rm -rf -- "$DIR"
fi
for p in "$PORT" $((PORT + 10000)) $((PORT + 20000)); do
  ! port_busy "$p" || die "port $p is in use (another broker? use --port)"
done
mkdir -p "$DIR"/{mnesia,log,home}
touch "$MARKER"
chmod 700 "$DIR/home"

# Everything the broker and rabbitmqctl need to find each other and nothing
# else: their own HOME (the Erlang cookie), epmd port and node name.
cat >"$DIR/rabbitmq-env.sh" <<EOF
export HOME='$DIR/home'
export ERL_EPMD_PORT=$((PORT + 10000))
export RABBITMQ_NODENAME='$NODE'
export RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
export RABBITMQ_NODE_PORT=$PORT
export RABBITMQ_DIST_PORT=$((PORT + 20000))
export RABBITMQ_MNESIA_BASE='$DIR/mnesia'
export RABBITMQ_LOG_BASE='$DIR/log'
export RABBITMQ_PID_FILE='$DIR/rabbit.pid'
export RABBITMQ_CONFIG_FILE='$DIR/rabbitmq'
export RABBITMQ_ENABLED_PLUGINS_FILE='$DIR/enabled_plugins'
export RABBITMQ_ENABLED_PLUGINS=''
EOF
cat >"$DIR/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$PORT
loopback_users.guest = true
EOF
echo '[].' >"$DIR/enabled_plugins"
# shellcheck disable=SC1091
. "$DIR/rabbitmq-env.sh"

on_exit() {
  local rc=$?
  if [[ $rc -ne 0 ]]; then
    tail -n 20 "$DIR/log/"*.log "$DIR/server.out" 2>/dev/null >&2 || true
    "$HERE/rabbitmq-stop.sh" --dir "$DIR" --keep-data || true
  fi
  exit $rc
}
trap on_exit EXIT
setsid "$RABBIT_BIN/rabbitmq-server" </dev/null >"$DIR/server.out" 2>&1 &
echo $! >"$DIR/server.pid"
log "rabbitmq-server starting (pid $(cat "$DIR/server.pid")) on 127.0.0.1:$PORT"
deadline=$((SECONDS + TIMEOUT))
until port_busy "$PORT"; do
  pid_ours "$(cat "$DIR/server.pid")" || die "rabbitmq-server died during start-up"
  [[ $SECONDS -lt $deadline ]] || die "no AMQP listener on $PORT after ${TIMEOUT}s"
  sleep 0.2
done
CTL="env HOME=$DIR/home ERL_EPMD_PORT=$((PORT + 10000)) $RABBIT_BIN/rabbitmqctl -n $NODE"
cat >"$ENVF.tmp" <<EOF
# written by tools/rabbitmq-start.sh; source it: . $ENVF
export GWSYNC_TEST_AMQP_URL='amqp://127.0.0.1:$PORT'
export GWSYNC_TEST_AMQP_PORT='$PORT'
export GWSYNC_TEST_AMQP_DIR='$DIR'
export GWSYNC_TEST_AMQP_CTL="$CTL"
EOF
mv -f "$ENVF.tmp" "$ENVF"
log "ready"
cat "$ENVF"
