#!/usr/bin/env bash
# Change-feed benchmark: what a nightly `sync --changes` costs after a few
# changes in a large bucket, and what its full-listing fallback costs next to
# a plain sync of the same bucket. Against the real RGW and a real RabbitMQ.
#
# usage: bench/feed.sh [--keys N] [--changes N] [--repeat R] [--work DIR]
#                      [--running] [--rgw-dir DIR] [--port P]
#                      [--amqp-dir DIR] [--amqp-port P] [--no-build] [--keep]
#
#   --keys N       objects in the bucket (tiny: a few bytes each), default 100000
#   --changes N    changes per round: 40% new keys, 40% overwrites, 20% deletes
#                  (default 100)
#   --repeat R     rounds (default 3): each makes the changes, then runs
#                  the nightly `sync --changes`, `gwsync verify`, a plain sync
#                  and the fallback (`sync --changes --reconcile-every 1s`)
#   --work DIR     the folders, index and logs (default /tmp/gwsync-bench-feed)
#   --running      use the gateway and broker the environment names
#                  (GWSYNC_TEST_ENDPOINT, _ACCESS_KEY, _SECRET_KEY, _ASOKS,
#                  _RGW_DIR as tools/gateway-start.sh prints them;
#                  GWSYNC_TEST_AMQP_URL as tools/rabbitmq-start.sh prints it)
#   --rgw-dir DIR, --port P        otherwise the gateway started (and stopped)
#                  here: tools/gateway-start.sh --gateways 1 (default
#                  /tmp/gwsync-bench-feed-rgw, port 7790)
#   --amqp-dir DIR, --amqp-port P  and the broker: tools/rabbitmq-start.sh
#                  (default /tmp/gwsync-bench-feed-amqp, port 5790)
#   --no-build     use build/cli/gwsync as it is
#   --keep         keep the bucket, the feed and DIR at exit
#
# Each measured command is timed with /usr/bin/time (wall, client CPU), and
# the gateway's work is read from the gateway itself: its perf counters
# (admin socket, section rgw: req, get, put), its access log (beast lines:
# every request with its latency; LIST requests are the bucket GETs that list
# keys or versions) and the radosgw process's CPU time (/proc). The nightly
# run must not list the keys (a LIST is 1,000 keys: N/1000 LISTs would be a
# full listing), and after it `gwsync verify` must pass and a plain sync must
# find nothing to do: the folder and the index are then what a full sync
# leaves. The requests of each run are printed by kind at the end.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"

KEYS=100000
CHANGES=100
REPEAT=3
WORK=/tmp/gwsync-bench-feed
RUNNING=0
RGW_DIR=/tmp/gwsync-bench-feed-rgw
PORT=7790
AMQP_DIR=/tmp/gwsync-bench-feed-amqp
AMQP_PORT=5790
BUILD=1
KEEP=0

die() { printf 'feed bench: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'feed bench [%s]: %s\n' "$(date +%T)" "$*" >&2; }
usage() { sed -n '2,/^set -uo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --keys|--changes|--repeat|--work|--rgw-dir|--port|--amqp-dir|--amqp-port)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      case "$1" in
        --keys) KEYS="$2" ;;
        --changes) CHANGES="$2" ;;
        --repeat) REPEAT="$2" ;;
        --work) WORK="$2" ;;
        --rgw-dir) RGW_DIR="$2" ;;
        --port) PORT="$2" ;;
        --amqp-dir) AMQP_DIR="$2" ;;
        --amqp-port) AMQP_PORT="$2" ;;
      esac
      shift 2 ;;
    --running) RUNNING=1; shift ;;
    --no-build) BUILD=0; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown argument '$1'" ;;
  esac
done
[[ "$KEYS" =~ ^[0-9]+$ && "$KEYS" -ge "$CHANGES" ]] || die "--keys must be a number >= --changes"
[[ "$CHANGES" =~ ^[0-9]+$ && "$CHANGES" -ge 5 ]] || die "--changes must be a number >= 5"

if [[ "$BUILD" -eq 1 ]]; then
  cmake --build "$ROOT/build" -j2 --target gwsync >&2 || die "build failed"
fi
BIN="$ROOT/build/cli/gwsync"
[[ -x "$BIN" ]] || die "no $BIN (build it, or leave out --no-build)"

STARTED_GW=0 STARTED_MQ=0 BUCKET="" FEED_ARGS=()
cleanup() {
  if [[ "$KEEP" -eq 0 && -n "$BUCKET" ]]; then
    "$BIN" --endpoint "$GWSYNC_TEST_ENDPOINT" feed remove "s3://$BUCKET" "$AMQP" \
      "${FEED_ARGS[@]}" >/dev/null 2>&1
    "$BIN" --endpoint "$GWSYNC_TEST_ENDPOINT" rb --force "s3://$BUCKET" >/dev/null 2>&1
    rm -rf "$WORK"
  fi
  [[ "$STARTED_MQ" -eq 1 ]] && "$ROOT/tools/rabbitmq-stop.sh" --dir "$AMQP_DIR" >&2
  [[ "$STARTED_GW" -eq 1 ]] && "$ROOT/tools/gateway-stop.sh" --dir "$RGW_DIR" >&2
}
trap cleanup EXIT

if [[ "$RUNNING" -eq 0 ]]; then
  log "starting a gateway ($RGW_DIR, port $PORT) and a broker ($AMQP_DIR, port $AMQP_PORT)"
  eval "$("$ROOT/tools/gateway-start.sh" --gateways 1 --dir "$RGW_DIR" --port "$PORT")" ||
    die "the gateway did not start"
  STARTED_GW=1
  eval "$("$ROOT/tools/rabbitmq-start.sh" --dir "$AMQP_DIR" --port "$AMQP_PORT")" ||
    die "the broker did not start"
  STARTED_MQ=1
fi
for v in GWSYNC_TEST_ENDPOINT GWSYNC_TEST_ACCESS_KEY GWSYNC_TEST_SECRET_KEY GWSYNC_TEST_ASOKS \
  GWSYNC_TEST_RGW_DIR GWSYNC_TEST_AMQP_URL; do
  [[ -n "${!v:-}" ]] || die "$v is not set (--running takes the gateway and broker from it)"
done
AMQP="$GWSYNC_TEST_AMQP_URL"
ASOK="${GWSYNC_TEST_ASOKS%% *}"
RGW_PID="$(cat "$GWSYNC_TEST_RGW_DIR/pids/client.rgw.a.pid")"
RGW_LOG="$GWSYNC_TEST_RGW_DIR/log/client.rgw.a.log"
export AWS_ACCESS_KEY_ID="$GWSYNC_TEST_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$GWSYNC_TEST_SECRET_KEY"
export BENCH_ENDPOINT="$GWSYNC_TEST_ENDPOINT"

rm -rf "$WORK"
mkdir -p "$WORK"
: >"$WORK/requests"
export HOME="$WORK/home" XDG_CACHE_HOME="$WORK/cache"  # the feed's state, nobody else's
mkdir -p "$HOME"
BUCKET="gwsync-bench-feed-$$"
QUEUE="$BUCKET"
# One exchange for every run: RGW 16.2 keeps one connection per broker and
# refuses a topic naming another exchange on it ("AMQP connect: exchange
# mismatch" in its log, the events never delivered).
FEED_ARGS=(--exchange gwsync-bench-feed --queue "$QUEUE" --topic "$QUEUE")
SRC="$WORK/src" DST="$WORK/dst" IDX="$WORK/index"
gw() { "$BIN" --endpoint "$GWSYNC_TEST_ENDPOINT" "$@"; }

# --- what the gateway did between two snapshots -----------------------------
snapshot() {  # FILE: perf counters, log size, radosgw CPU ticks
  {
    ceph --admin-daemon "$ASOK" perf dump 2>/dev/null |
      python3 -c 'import json,sys; r=json.load(sys.stdin)["rgw"]; print(r["req"], r["get"], r["put"])'
    stat -c %s "$RGW_LOG"
    awk '{print $14 + $15}' "/proc/$RGW_PID/stat"
  } >"$1"
}
# NAME BEFORE AFTER TIMEFILE: one line of figures
gateway_work() {
  python3 - "$@" "$RGW_LOG" "$BUCKET" "$(getconf CLK_TCK)" <<'EOF'
import re, sys
name, before, after, timefile, logf, bucket, hz = sys.argv[1:]
b = open(before).read().split()
a = open(after).read().split()
req, get, put = (int(a[i]) - int(b[i]) for i in range(3))
cpu = (int(a[4]) - int(b[4])) / int(hz)
line = re.compile(r'beast: \S+ \S+ - \S+ \[[^]]*\] "(\S+) (\S+) [^"]*" (\d+) .*latency=([0-9.]+)s')
n = lists = 0
lat = 0.0
kinds = {}
with open(logf, "rb") as f:
    f.seek(int(b[3]))
    for raw in f.read(int(a[3]) - int(b[3])).decode(errors="replace").splitlines():
        m = line.search(raw)
        if not m:
            continue
        method, uri = m.group(1), m.group(2)
        path, _, query = uri.partition("?")
        n += 1
        lat += float(m.group(4))
        params = {p.split("=")[0] for p in query.split("&") if p}
        bucket_level = path.strip("/") == bucket
        # A listing: ListObjects (V1 or V2), of the keys or of versions.
        if method == "GET" and bucket_level and (
                not params or params & {"list-type", "prefix", "delimiter", "marker", "versions"}):
            lists += 1
        kind = (method + (" bucket" if bucket_level else " object") +
                ("?" + "&".join(sorted(params)) if params else ""))
        kinds[kind] = kinds.get(kind, 0) + 1
wall, user, sys_ = open(timefile).read().split()[-3:]
print(f"{name}: " + ", ".join(f"{v} {k}" for k, v in sorted(kinds.items())), file=sys.stderr)
print(f"| {name} | {wall} | {float(user) + float(sys_):.2f} | {req} | {lists} | {get} | {put} | "
      f"{lat:.3f} | {cpu:.2f} |")
EOF
}
# NAME ARGS...: runs gwsync, timed, and prints the table row
measure() {
  local name="$1"
  shift
  snapshot "$WORK/before"
  /usr/bin/time -f "%e %U %S" -o "$WORK/time" "$BIN" --endpoint "$GWSYNC_TEST_ENDPOINT" "$@" \
    >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  sleep 0.2  # the access log line of the last request
  snapshot "$WORK/after"
  [[ "$rc" -eq 0 ]] || { cat "$WORK/err" >&2; die "$name: exit $rc"; }
  gateway_work "$name" "$WORK/before" "$WORK/after" "$WORK/time" >>"$WORK/rows" \
    2>>"$WORK/requests"
  tail -1 "$WORK/rows" >&2
  tail -1 "$WORK/requests" >&2
}
ready() {
  gw feed status "s3://$BUCKET" "$AMQP" "${FEED_ARGS[@]}" 2>/dev/null |
    sed -n 's/.*holds \([0-9]*\) messages ready.*/\1/p'
}
wait_ready() {  # N: until the queue holds at least N messages
  local deadline=$((SECONDS + 90)) n
  while n="$(ready)"; [[ "${n:-0}" -lt "$1" ]]; do
    [[ "$SECONDS" -lt "$deadline" ]] || die "the queue holds ${n:-?} messages, not $1, after 90 s"
    sleep 0.5
  done
}
s3() {  # put KEY BODY | delete KEY ..., through boto3 (another client, as users have)
  python3 - "$BUCKET" "$@" <<'EOF'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["BENCH_ENDPOINT"], region_name="default")
bucket, op, *args = sys.argv[1:]
if op == "put":
    for k in args:
        s3.put_object(Bucket=bucket, Key=k, Body=(k + " changed\n").encode())
else:
    for k in args:
        s3.delete_object(Bucket=bucket, Key=k)
EOF
}

# --- the bucket -------------------------------------------------------------
log "writing $KEYS files of a few bytes into $SRC"
python3 - "$SRC" "$KEYS" <<'EOF'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for d in range(100):
    os.makedirs(f"{root}/d{d:02d}", exist_ok=True)
for i in range(n):
    with open(f"{root}/d{i % 100:02d}/k{i:07d}", "w") as f:
        f.write(f"{i}\n")
EOF
gw mb "s3://$BUCKET" >/dev/null || die "cannot make bucket $BUCKET"
log "uploading them to s3://$BUCKET"
gw --quiet sync --no-index "$SRC" "s3://$BUCKET" || die "upload failed"
rm -rf "$SRC"
r="$(gw feed setup "s3://$BUCKET" "$AMQP" "${FEED_ARGS[@]}")" || die "feed setup failed"
FEED="$(sed -n "s/.*--changes '\([^']*\)'.*/\1/p" <<<"$r")"
[[ -n "$FEED" ]] || die "feed setup printed no feed: $r"
SYNC=(sync --delete --index "$IDX" "s3://$BUCKET" "$DST")

log "the first run from the feed lists everything (and downloads $KEYS objects)"
gw "${SYNC[@]}" --changes "$FEED" 2>"$WORK/err" || { cat "$WORK/err" >&2; die "first sync failed"; }
grep -q "first run with this feed" "$WORK/err" || die "the first run did not say it lists"
log "waiting for RGW to take up the topic's queue (up to 30 s)"
base="$(ready)"
s3 put canary
wait_ready $((base + 1))
s3 delete canary
wait_ready $((base + 2))
gw "${SYNC[@]}" --changes "$FEED" 2>"$WORK/err" || { cat "$WORK/err" >&2; die "sync failed"; }

printf '| run | wall s | client CPU s | gateway requests | LIST | GET | PUT | gateway latency sum s | radosgw CPU s |\n|---|---|---|---|---|---|---|---|---|\n' >"$WORK/rows"
creates=$((CHANGES * 2 / 5)) overwrites=$((CHANGES * 2 / 5))
deletes=$((CHANGES - creates - overwrites))
for round in $(seq 1 "$REPEAT"); do
  log "round $round: $creates new keys, $overwrites overwrites, $deletes deletes"
  base="$(ready)"
  new=() old=() del=()
  for i in $(seq 1 "$creates"); do new+=("new/r$round/n$i"); done
  for i in $(seq 1 "$overwrites"); do
    k=$(((round * 7919 + i * 104729) % KEYS))
    old+=("d$(printf %02d $((k % 100)))/k$(printf %07d "$k")")
  done
  for i in $(seq 1 "$deletes"); do
    k=$(((round * 15485863 + i * 32452843 + 17) % KEYS))
    del+=("d$(printf %02d $((k % 100)))/k$(printf %07d "$k")")
  done
  s3 put "${new[@]}" "${old[@]}"
  s3 delete "${del[@]}"
  wait_ready $((base + CHANGES))
  measure "nightly, $CHANGES changes" "${SYNC[@]}" --changes "$FEED"
  grep -q "full listing" "$WORK/err" && { cat "$WORK/err" >&2; die "the nightly run listed"; }
  gw verify "s3://$BUCKET" "$DST" >"$WORK/verify" 2>&1 || { cat "$WORK/verify" >&2; die "verify failed"; }
  measure "plain sync (nothing to do)" "${SYNC[@]}"
  grep -q "^download" "$WORK/out" && { cat "$WORK/out" >&2; die "the plain sync after the feed had work"; }
  sleep 1.1
  measure "fallback (full listing)" "${SYNC[@]}" --changes "$FEED" --reconcile-every 1s
  grep -q "a full listing is due" "$WORK/err" || { cat "$WORK/err" >&2; die "no fallback"; }
done
echo
echo "$KEYS keys, $CHANGES changes a round, $REPEAT rounds; gwsync $(git -C "$ROOT" rev-parse --short HEAD)"
echo "(verify passed and the plain sync found nothing to do after every nightly run)"
echo
cat "$WORK/rows"
echo
echo "The requests the gateway served, by kind:"
echo
sed 's/^/    /' "$WORK/requests"
