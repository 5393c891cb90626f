#!/usr/bin/env bash
# Stop a RabbitMQ started by tools/rabbitmq-start.sh.
#
# usage: tools/rabbitmq-stop.sh [--dir DIR] [--keep-data]
#
# Signals only the processes started with DIR's environment (the broker's
# Erlang VM, its shell wrapper, and the private epmd on its own port), each
# by pid: SIGTERM, a grace of 10 s, then SIGKILL. Never kills by name. Removes
# DIR afterwards unless --keep-data. Exit 0 if nothing was running.
set -euo pipefail

DIR="${GWSYNC_AMQP_DIR:-/tmp/gwsync-amqp}"
KEEP=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --dir) DIR="$2"; shift 2 ;;
    --dir=*) DIR="${1#*=}"; shift ;;
    --keep-data) KEEP=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 0 ;;
    *) printf 'rabbitmq-stop: unknown argument: %s\n' "$1" >&2; exit 1 ;;
  esac
done
DIR="$(realpath -m -- "$DIR")"
log() { printf 'rabbitmq-stop: %s\n' "$*" >&2; }

# Ours: a live process started with DIR's environment (the broker's shell
# wrapper, its Erlang VM and the private epmd it started all carry
# RABBITMQ_MNESIA_BASE=DIR/mnesia); a recycled pid never matches.
pid_ours() {
  local pid="$1" stat state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
  state="${stat##*) }"; state="${state%% *}"
  [[ "$state" != Z && "$state" != X ]] || return 1
  { tr '\0' '\n' <"/proc/$pid/environ"; } 2>/dev/null | grep -qxF -- "RABBITMQ_MNESIA_BASE=$DIR/mnesia"
}

if [[ -f "$DIR/.gwsync-amqp" ]]; then
  pids=()
  for f in /proc/[0-9]*; do
    pid="${f#/proc/}"
    pid_ours "$pid" && pids+=("$pid")
  done
  if [[ ${#pids[@]} -gt 0 ]]; then
    log "stopping pids ${pids[*]}"
    kill -TERM "${pids[@]}" 2>/dev/null || true
    for ((i = 0; i < 200; i++)); do
      alive=()
      for pid in "${pids[@]}"; do pid_ours "$pid" && alive+=("$pid"); done
      [[ ${#alive[@]} -gt 0 ]] || break
      sleep 0.05
    done
    if [[ ${#alive[@]} -gt 0 ]]; then
      log "pids ${alive[*]} ignored SIGTERM for 10 s; sending SIGKILL"
      kill -KILL "${alive[@]}" 2>/dev/null || true
    fi
  fi
  if [[ $KEEP -eq 0 ]]; then rm -rf -- "$DIR"; log "removed $DIR"; fi
else
  log "nothing started by rabbitmq-start.sh in $DIR"
fi
exit 0
