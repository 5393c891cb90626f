#!/usr/bin/env bash
# A sharded backup on a real Slurm: a one-node cluster of its own on this
# machine runs deploy/slurm/submit.sh's array job against a local Ceph RGW,
# and the merged result is checked.
#
# usage: tools/slurm-test.sh [--shares N] [--keys K] [--dir DIR] [--keep]
#
#   --shares N  array tasks (default 4)
#   --keys K    objects in the bucket (default 3000, awkward names included)
#   --dir DIR   everything lives here: munge's key and socket, slurm.conf,
#               state, spool, logs, pids, the tree, the backup, the reports
#               (default /tmp/gwsync-slurm; wiped first)
#   --keep      leave DIR (the daemons are stopped either way)
#
# Installs slurmctld, slurmd, slurm-client and munge from Debian's packages
# when missing; starts munged, slurmctld and slurmd with the config under DIR
# (127.0.0.1 only, free ports, as root), each in the foreground of a
# background job whose pid is recorded, and stops exactly those pids on exit;
# the gateway is tools/gateway-start.sh --port 7980 --dir /tmp/gw-slurm
# (GWSYNC_SLURM_GW_PORT / GWSYNC_SLURM_GW_DIR), stopped again unless it was
# already running. Checks: the merged report is complete; every key was
# downloaded exactly once and the backup is byte-identical to the tree; the
# gateway counted exactly the requests the shares' reports add up to; and
# the shares' LIST requests add up to about one listing, not N; the bucket
# verifies against the manifest the merge joined from the shares' manifests.
# Exit 0 and "slurm-test: OK ..." when all hold. Needs build/cli/gwsync
# (GWSYNC_BIN to use another).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
SHARES=4
KEYS=3000
DIR=/tmp/gwsync-slurm
KEEP=0
GW_PORT="${GWSYNC_SLURM_GW_PORT:-7980}"
GW_DIR="${GWSYNC_SLURM_GW_DIR:-/tmp/gw-slurm}"
BIN="${GWSYNC_BIN:-$ROOT/build/cli/gwsync}"
START_MS=$(date +%s%3N)
log() { printf 'slurm-test [%5.1fs]: %s\n' "$(( $(date +%s%3N) - START_MS ))e-3" "$*" >&2; }
die() { printf 'slurm-test: FAILED: %s\n' "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --shares) SHARES="$2"; shift 2 ;;
    --keys) KEYS="$2"; shift 2 ;;
    --dir) DIR="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    *) sed -n '2,27p' "$0" >&2; exit 2 ;;
  esac
done
[ -x "$BIN" ] || die "no gwsync binary at $BIN (build first, or set GWSYNC_BIN)"
[ "$(id -u)" -eq 0 ] || die "needs root (the daemons run as root, as SlurmUser)"

# --- install -----------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
   ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurmctld slurmd slurm-client munge"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null || die "apt-get install failed"
fi

# --- teardown, by pid only ---------------------------------------------------
PIDS=()
GW_STARTED=0
cleanup() {
  local rc=$?
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do kill "${PIDS[$i]}" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ "$GW_STARTED" -eq 1 ]; then "$ROOT/tools/gateway-stop.sh" --dir "$GW_DIR" >/dev/null 2>&1 || true; fi
  if [ "$rc" -ne 0 ]; then
    for f in "$DIR"/log/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done
    for f in "$DIR"/reports/slurm-*.out; do [ -s "$f" ] && { echo "--- $f" >&2; tail -5 "$f" >&2; }; done
  fi
  [ "$KEEP" -eq 1 ] || [ "$rc" -ne 0 ] || rm -rf "$DIR"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case "$DIR" in /tmp/*) ;; *) die "--dir must be under /tmp (it is wiped)" ;; esac
rm -rf "$DIR"
mkdir -p "$DIR"/{munge,state,spool,log,run,reports}
chmod 700 "$DIR" "$DIR/munge"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# --- the gateway and the bucket -----------------------------------------------
if [ -f "$GW_DIR/env" ] && curl -s -o /dev/null "http://127.0.0.1:$GW_PORT/"; then
  log "using the gateway already running in $GW_DIR"
else
  GW_STARTED=1
  "$ROOT/tools/gateway-start.sh" --port "$GW_PORT" --dir "$GW_DIR" >/dev/null 2>"$DIR/log/gateway-start.log" ||
    die "gateway-start failed (log: $DIR/log/gateway-start.log)"
  log "gateway on 127.0.0.1:$GW_PORT"
fi
# shellcheck disable=SC1091
. "$GW_DIR/env"
export AWS_ACCESS_KEY_ID="$GWSYNC_TEST_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$GWSYNC_TEST_SECRET_KEY"
export HOME="$DIR/home"  # the shares' default indexes land here
mkdir -p "$HOME"
GW=("$BIN" --endpoint "$GWSYNC_TEST_ENDPOINT")
BUCKET="slurm-$(date +%s)-$$"

python3 - "$DIR/tree" "$KEYS" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rnd = random.Random(15)
# Byte-order and encoding traps first, then registry-like and flat keys.
names = ["a-b", "a/b", "a0", "a b/c d", "é/ü/ß", "日本/語 x", "x+y", "%41", "~t", "a/b-c",
         "a/bc", "ab", "sp ace", "tab\tkey", "q?uery", "h#ash", "amp&er", "lt<gt>"]
folders = ["docker/registry/v2/blobs/sha256/%02x" % i for i in range(256)] + \
          ["docker/registry/v2/repositories/r%02d/_layers" % i for i in range(12)] + \
          ["flat", "ü", "a b"]
keys = set(names)
while len(keys) < n:
    keys.add("%s/k%06d%s" % (rnd.choice(folders), rnd.randrange(10**6), rnd.choice(["", " é", "-x", " y"])))
for k in sorted(keys):
    p = os.path.join(root, k)
    os.makedirs(os.path.dirname(p) or root, exist_ok=True)
    if os.path.isdir(p):
        continue
    with open(p, "wb") as f:
        f.write(rnd.randbytes(rnd.randrange(0, 4096)))
PY
KEYS=$(find "$DIR/tree" -type f | wc -l)
"${GW[@]}" -q sync --no-index "$DIR/tree" "s3://$BUCKET" || die "could not upload the tree"
log "bucket $BUCKET: $KEYS objects"
WHOLE_LISTING=$("${GW[@]}" sync --no-index --dry-run --json "s3://$BUCKET" "$DIR/none" |
  python3 -c 'import json,sys; print(sum(e["requests"] for e in json.load(sys.stdin)["endpoints"]))')
log "one listing of the bucket: $WHOLE_LISTING requests"

# --- munge and slurm ------------------------------------------------------------
dd if=/dev/urandom of="$DIR/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$DIR/munge/munge.key"
MUNGE_SOCKET="$DIR/munge/munge.socket"
munged --foreground --force --socket="$MUNGE_SOCKET" --key-file="$DIR/munge/munge.key" \
  --pid-file="$DIR/run/munged.pid" --log-file="$DIR/log/munged.log" \
  --seed-file="$DIR/munge/seed" >>"$DIR/log/munged.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [ -S "$MUNGE_SOCKET" ] && break; sleep 0.1; done
[ -S "$MUNGE_SOCKET" ] || die "munged did not start"

CTLD_PORT=$(free_port)
D_PORT=$(free_port)
HOST=$(hostname -s)
PLUGINS=$(dirname "$(find /usr/lib -name select_cons_tres.so -path '*slurm*' | head -1)")
export SLURM_CONF="$DIR/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=gwsync
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$D_PORT
SlurmUser=root
SlurmdUser=root
PluginDir=$PLUGINS
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
CredType=cred/munge
StateSaveLocation=$DIR/state
SlurmdSpoolDir=$DIR/spool
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
KillWait=5
InactiveLimit=0
NodeName=gwsync-node NodeHostname=$HOST NodeAddr=127.0.0.1 CPUs=$SHARES RealMemory=1000 State=UNKNOWN
PartitionName=gwsync Nodes=gwsync-node Default=YES MaxTime=60 State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" >>"$DIR/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -N gwsync-node -f "$SLURM_CONF" >>"$DIR/log/slurmd.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do
  state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
  [ "$state" = "idle" ] && break
  sleep 0.2
done
[ "$state" = "idle" ] || die "the Slurm node did not come up (state '${state:-none}')"
log "slurm: one node, $SHARES CPUs, controller on 127.0.0.1:$CTLD_PORT"

# --- the array job ---------------------------------------------------------------
asok_req() {
  ceph --admin-daemon "${GWSYNC_TEST_ASOKS%% *}" perf dump 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["rgw"]["req"])'
}
REQ_BEFORE=$(asok_req)
export GWSYNC_BIN="$BIN" GWSYNC_GLOBAL_FLAGS="--endpoint $GWSYNC_TEST_ENDPOINT"
# Submitted held, so that the plan's requests are counted before a share runs.
read -r ARRAY MERGE < <(SBATCH_EXTRA="--hold" "$ROOT/deploy/slurm/submit.sh" -n "$SHARES" \
  -r "$DIR/reports" "s3://$BUCKET" "$DIR/backup")
PLAN_REQS=$(( $(asok_req) - REQ_BEFORE ))
scontrol release "$ARRAY,$MERGE" || die "cannot release jobs $ARRAY and $MERGE"
log "submitted array $ARRAY ($SHARES shares) and merge $MERGE (shard-plan: $PLAN_REQS requests)"
for _ in $(seq 600); do
  squeue -h -j "$ARRAY,$MERGE" 2>/dev/null | grep -q . || break
  sleep 0.2
done
squeue -h -j "$ARRAY,$MERGE" 2>/dev/null | grep -q . && die "jobs still queued after 120 s"
REQ_ARRAY=$(( $(asok_req) - REQ_BEFORE - PLAN_REQS ))
job_field() { scontrol show job "$1" | grep -o "\b$2=[^ ]*" | head -1 | cut -d= -f2; }
merge_state="$(job_field "$MERGE" JobState) $(job_field "$MERGE" ExitCode)"
log "jobs done: merge $merge_state"
[ "$merge_state" = "COMPLETED 0:0" ] || die "the merge job ended $merge_state"

# --- checks ----------------------------------------------------------------------
[ -f "$DIR/reports/merged.json" ] || die "no merged report"
diff -r --exclude=.gwsync "$DIR/tree" "$DIR/backup" >/dev/null || die "the backup differs from the tree"
python3 - "$DIR/reports/merged.json" "$KEYS" "$WHOLE_LISTING" "$REQ_ARRAY" "$SHARES" <<'PY' || die "merged report"
import json, sys
m = json.load(open(sys.argv[1]))
keys, whole, gateway_reqs, n = (int(a) for a in sys.argv[2:])
assert m["complete"], m["problems"]
assert m["count"] == n and len(m["shares"]) == n, m["shares"]
down = m["actions"].get("download", {}).get("objects", 0)
assert down == keys, f"{down} downloads for {keys} keys"
assert m["source_objects"] == keys, f"the shares listed {m['source_objects']} keys of {keys}"
reqs = sum(e["requests"] for e in m["endpoints"])
assert reqs == gateway_reqs, f"reports say {reqs} requests, the gateway counted {gateway_reqs}"
lists = reqs - down  # each object is one GET here
# About one listing, plus each share's way down to its range: two requests
# per delimiter level above its first key (the level from start-after, and
# whole to judge it), its first folder and the group it cuts. N listings
# would be n * whole.
assert lists <= whole * 1.1 + 16 * n, f"{lists} LIST requests over {n} shares vs {whole} for one listing"
for s in m["shares"]:
    print(f"  share {s['index']}: after {s['after']} through {s['through']}: "
          f"{s['source_objects']} keys, {s['requests']} requests, {s['seconds']:.2f} s")
print(f"  {down} objects downloaded once each; LIST requests: {lists} in {n} shares, "
      f"{whole} for one listing; gateway requests {gateway_reqs} = the reports' {reqs}")
PY
# The merge joined the shares' manifests: the backup proves itself.
[ -f "$DIR/backup/.gwsync/manifest-latest" ] || die "the merge wrote no manifest-latest"
"${GW[@]}" --quiet verify "s3://$BUCKET" "$DIR/backup/.gwsync/manifest-latest" >"$DIR/log/verify.out" 2>&1 ||
  die "the bucket does not verify against the joined manifest: $(tail -n 3 "$DIR/log/verify.out")"
log "the shares' manifests joined: the bucket verifies against manifest-latest"
# --- a share lost: the merge says which; running that share again completes it ---
mv "$DIR/reports/share-1.json" "$DIR/reports/lost.json"
if "$BIN" report merge "$DIR"/reports/share-*.json -o "$DIR/reports/partial.json" 2>"$DIR/log/partial.err"; then
  die "report merge passed with share 1 missing"
fi
grep -q "share 1 of $SHARES: no report" "$DIR/log/partial.err" || die "merge did not name share 1: $(cat "$DIR/log/partial.err")"
RERUN=$(GWSYNC_SHARD_COUNT="$SHARES" GWSYNC_SRC="s3://$BUCKET" GWSYNC_DST="$DIR/backup" \
  GWSYNC_PLAN="$DIR/reports/plan.json" GWSYNC_REPORTS="$DIR/reports" sbatch --parsable --array=1 --export=ALL \
  --output="$DIR/reports/slurm-%A_%a.out" "$ROOT/deploy/slurm/gwsync-share.sbatch")
for _ in $(seq 300); do squeue -h -j "${RERUN%%;*}" 2>/dev/null | grep -q . || break; sleep 0.2; done
"$BIN" report merge "$DIR"/reports/share-*.json -o "$DIR/reports/merged-again.json" ||
  die "the merge after re-running share 1 is not complete"
log "share 1 lost: merge named it and exited 1; re-run as array task 1: merge complete"

TOTAL=$(( ($(date +%s%3N) - START_MS) / 1000 ))
echo "slurm-test: OK: $SHARES shares on Slurm backed up $KEYS objects byte-exact, merge complete, in ${TOTAL}s"
