#!/usr/bin/env bash
# Stop a local Ceph RGW test cluster started by tools/gateway-start.sh.
#
# usage: tools/gateway-stop.sh [--dir DIR] [--keep-data]
#
# Stops exactly the processes recorded in DIR/pids/*.pid (radosgw first, then
# the OSD, then the monitor): SIGTERM, up to ~2 s grace, then SIGKILL. A pid is
# only signalled if its command line still names DIR/ceph.conf, so a recycled
# pid is never touched. Never kills by process name. Removes the pid files,
# and (unless --keep-data) the whole DIR afterwards (memstore: the data lived
# in the OSD's RAM anyway). Exit 0 if nothing was running.
set -euo pipefail

DIR="${GWSYNC_RGW_DIR:-/tmp/gwsync-rgw}"
KEEP_DATA=0
GRACE_SECONDS="${GWSYNC_RGW_STOP_GRACE:-2}"

log() { printf 'gateway-stop: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) [[ $# -ge 2 ]] || die "--dir needs a value"; DIR="$2"; shift 2 ;;
    --dir=*) DIR="${1#--dir=}"; shift ;;
    --keep-data) KEEP_DATA=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown argument: $1" ;;
  esac
done

[[ -n "$DIR" ]] || die "empty --dir"
DIR="$(realpath -m -- "$DIR")"
MARKER="$DIR/.gwsync-rgw"
CONF="$DIR/ceph.conf"

# True if PID is a live (non-zombie) process of this cluster (its command
# line mentions DIR/ceph.conf).
pid_is_ours() {
  local pid="$1" stat state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  state="${stat##*) }"; state="${state%% *}"
  [[ "$state" != Z && "$state" != X ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$CONF"
}

# Stop one group of daemons (all pid files matching a glob) together.
stop_group() {
  local glob="$1" f pid name
  local -a pids=() names=()
  shopt -s nullglob
  for f in "$DIR"/pids/$glob.pid; do
    name="$(basename "$f" .pid)"
    pid="$(cat "$f" 2>/dev/null || true)"
    if pid_is_ours "$pid"; then
      pids+=("$pid"); names+=("$name")
      kill -TERM "$pid" 2>/dev/null || true
    fi
    rm -f -- "$f"
  done
  shopt -u nullglob
  [[ ${#pids[@]} -gt 0 ]] || return 0
  log "stopping ${names[*]} (pids ${pids[*]})"
  local alive i idx
  local steps=$(( GRACE_SECONDS * 20 ))
  for ((i = 0; i < steps; i++)); do
    alive=0
    for pid in "${pids[@]}"; do pid_is_ours "$pid" && alive=1; done
    [[ $alive -eq 1 ]] || return 0
    sleep 0.05
  done
  for idx in "${!pids[@]}"; do
    if pid_is_ours "${pids[$idx]}"; then
      log "${names[$idx]} (pid ${pids[$idx]}) ignored SIGTERM; sending SIGKILL"
      kill -KILL "${pids[$idx]}" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 100; i++)); do
    alive=0
    for pid in "${pids[@]}"; do pid_is_ours "$pid" && alive=1; done
    [[ $alive -eq 1 ]] || return 0
    sleep 0.05
  done
  log "warning: some of pids ${pids[*]} are still alive after SIGKILL"
}

if [[ -d "$DIR/pids" ]]; then
  stop_group 'client.rgw.*'
  stop_group 'osd.*'
  stop_group 'mon.*'
  stop_group '*'   # anything else recorded
else
  log "nothing running in $DIR"
fi

if [[ $KEEP_DATA -eq 0 && -d "$DIR" ]]; then
  if [[ -f "$MARKER" ]]; then
    rm -rf -- "$DIR"
    log "removed $DIR"
  else
    log "not removing $DIR: no $MARKER (not created by gateway-start.sh)"
  fi
fi
exit 0
