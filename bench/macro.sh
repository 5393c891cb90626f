#!/usr/bin/env bash
# size: the tools' runs side by side in one script, so that their commands
# can be compared line by line (same data, same gateway, same checks).
# Macro benchmark: gwsync against rclone, s3cmd and `aws s3 sync` (Debian's
# packages) on the same data against the same local Ceph RGW.
#
# usage: bench/macro.sh [--small N] [--tree N] [--large N] [--large-size SIZE]
#                       [--tools gwsync,rclone,s3cmd,aws] [--out FILE]
#                       [--work DIR] [--timeout S] [--no-verify] [--no-build]
#                       [--keep-gateway] [--no-raw]
#
#   --small N        N files of 4 KiB in 100 sub-folders (small/dNN/fNNNNN),
#                    default 20000; 0 skips the small data set
#   --tree N         N files of 4 KiB shaped like a Docker registry's storage
#                    (blobs/sha256/XX/HASH/data, repositories/rNN/_layers/
#                    sha256/HASH/link: a folder per file), default 0 (none)
#   --large N        N large files (large/fN), default 4; 0 skips them
#   --large-size S   size of each large file (KiB/MiB/GiB suffix), default 512MiB
#   --tools LIST     tools to run, in this order, default gwsync,rclone,s3cmd,aws
#   --out FILE       markdown results, default WORK/macro-results.md
#   --work DIR       data, downloads, logs, default /tmp/gwsync-bench
#   --timeout S      a phase taking longer is killed and marked failed (3600)
#   --no-verify      do not compare downloads with the source byte for byte
#   --no-build       use build/cli/gwsync as it is
#   --keep-gateway   leave the benchmark gateway running at exit
#   --no-raw         skip the raw rates (gwsync bench) the syncs are held to
#
# First the raw rates of the same gateway (unless --no-raw): `gwsync bench`
# PUT and GET of 4 KiB objects at concurrency 32 (what a sync keeps in
# flight) and of 16 MiB objects at concurrency 8 (a large object's ranges
# in flight), 15 s each after 3 s of warm-up; the report holds each sync's
# rate against them.
#
# For each data set and tool: upload to a fresh bucket, the same sync again
# with nothing changed (no-op), download into an empty folder. Each phase is
# timed with /usr/bin/time (wall s, user+sys CPU s, peak RSS) and the requests
# the gateway served are counted from its admin socket (perf dump, section
# rgw: req, get (GET and HEAD of objects), put). Buckets are removed (and RGW
# garbage collected) between tools so the memstore OSD does not fill RAM.
#
# The gateway is its own: tools/gateway-start.sh --dir /tmp/gwsync-bench-rgw
# --port 7780 (one monitor, one memstore OSD, one radosgw), stopped at exit.
# Missing peers (rclone, s3cmd, awscli) and `time` are installed with
# apt-get; a tool that cannot be installed is skipped.
#
# Tool commands (SRC a folder, B a bucket):
#   gwsync  gwsync sync SRC s3://B --quiet --index IDX   (AWS_* env)
#   rclone  rclone sync SRC bench:B --transfers 32 --checkers 64 --fast-list
#           --s3-no-head --s3-no-head-object --update --use-server-modtime
#           (remote from RCLONE_CONFIG_BENCH_*: provider Ceph, path style)
#   s3cmd   s3cmd -c CFG --quiet --no-progress sync SRC/ s3://B/
#   aws     aws --endpoint-url URL s3 sync SRC s3://B --only-show-errors
#           (/usr/bin/aws from Debian's awscli, path-style addressing)
# Downloads are the same commands with the two sides swapped.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"

SMALL=20000
TREE=0
LARGE=4
LARGE_SIZE=512MiB
TOOLS=gwsync,rclone,s3cmd,aws
WORK=/tmp/gwsync-bench
OUT=""
PHASE_TIMEOUT=3600
VERIFY=1
BUILD=1
KEEP_GW=0
RAW=1
RGW_DIR=/tmp/gwsync-bench-rgw
PORT=7780
ARGS_AS_GIVEN="$*"

die() { printf 'macro: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'macro [%s]: %s\n' "$(date +%T)" "$*" >&2; }
usage() { sed -n '2,/^set -uo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --small|--tree|--large|--large-size|--tools|--out|--work|--timeout)
      [[ $# -ge 2 ]] || die "$1 needs a value"
      case "$1" in
        --small) SMALL="$2" ;;
        --tree) TREE="$2" ;;
        --large) LARGE="$2" ;;
        --large-size) LARGE_SIZE="$2" ;;
        --tools) TOOLS="$2" ;;
        --out) OUT="$2" ;;
        --work) WORK="$2" ;;
        --timeout) PHASE_TIMEOUT="$2" ;;
      esac
      shift 2 ;;
    --no-verify) VERIFY=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --keep-gateway) KEEP_GW=1; shift ;;
    --no-raw) RAW=0; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage; die "unknown argument: $1" ;;
  esac
done

[[ "$SMALL" =~ ^[0-9]+$ ]] || die "--small must be a number"
[[ "$TREE" =~ ^[0-9]+$ ]] || die "--tree must be a number"
[[ "$LARGE" =~ ^[0-9]+$ ]] || die "--large must be a number"
[[ "$PHASE_TIMEOUT" =~ ^[0-9]+$ ]] || die "--timeout must be a number of seconds"

# 512MiB, 512M, 1GiB, 4096KiB, 1048576 -> bytes (suffixes are binary)
parse_size() {
  local s="${1%B}" n mult=1
  s="${s%i}"
  case "$s" in
    *[kK]) mult=1024; n="${s%?}" ;;
    *M) mult=$((1024 * 1024)); n="${s%?}" ;;
    *G) mult=$((1024 * 1024 * 1024)); n="${s%?}" ;;
    *) n="$s" ;;
  esac
  [[ "$n" =~ ^[0-9]+$ ]] || return 1
  echo $((n * mult))
}
LARGE_BYTES="$(parse_size "$LARGE_SIZE")" || die "bad --large-size '$LARGE_SIZE'"
[[ "$LARGE" -eq 0 || "$LARGE_BYTES" -gt 0 ]] || die "--large-size must be > 0"

IFS=, read -r -a WANT_TOOLS <<<"$TOOLS"
for t in "${WANT_TOOLS[@]}"; do
  case "$t" in gwsync|rclone|s3cmd|aws) ;; *) die "unknown tool '$t' (gwsync, rclone, s3cmd, aws)" ;; esac
done

mkdir -p "$WORK"/{data,dl,logs,idx,bin,cfg} || die "cannot create $WORK"
WORK="$(cd "$WORK" && pwd)"
OUT="${OUT:-$WORK/macro-results.md}"
RESULTS="$WORK/results.tsv"
META="$WORK/meta.txt"

# ------------------------------------------------------------ dependencies
SUDO=()
[[ $EUID -eq 0 ]] || { command -v sudo >/dev/null && SUDO=(sudo); }
APT_UPDATED=0
apt_install() {  # pkg...: true if installed afterwards
  local p
  for p in "$@"; do
    # grep, not grep -q: under pipefail an early exit of grep -q can fail the pipe.
    if ! apt-cache policy "$p" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; then
      if [[ $APT_UPDATED -eq 0 ]]; then
        APT_UPDATED=1
        "${SUDO[@]}" apt-get update >>"$WORK/logs/apt.log" 2>&1 || true
      fi
      apt-cache policy "$p" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null || {
        log "package $p has no installation candidate"; return 1; }
    fi
  done
  log "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends "$@" \
    >>"$WORK/logs/apt.log" 2>&1
}

[[ -x /usr/bin/time ]] || apt_install time || die "cannot install 'time' (/usr/bin/time)"
command -v python3 >/dev/null || die "python3 is needed"

TOOL_LIST=()
for t in "${WANT_TOOLS[@]}"; do
  case "$t" in
    gwsync) TOOL_LIST+=(gwsync) ;;
    rclone)
      command -v rclone >/dev/null || apt_install rclone || true
      if command -v rclone >/dev/null; then TOOL_LIST+=(rclone)
      else log "skipping rclone: not installable"; fi ;;
    s3cmd)
      command -v s3cmd >/dev/null || apt_install s3cmd || true
      if command -v s3cmd >/dev/null; then TOOL_LIST+=(s3cmd)
      else log "skipping s3cmd: not installable"; fi ;;
    aws)
      # Debian's awscli (v2) as /usr/bin/aws, not some other aws on PATH.
      [[ -x /usr/bin/aws ]] || apt_install awscli || true
      if [[ -x /usr/bin/aws ]]; then TOOL_LIST+=(aws)
      else log "skipping aws: Debian's awscli not installable"; fi ;;
  esac
done

# ------------------------------------------------------------ gwsync binary
GW_BUILT="$ROOT/build/cli/gwsync"
BUILD_NOTE=""
# gwsync is needed even when not measured: it makes and removes the buckets.
{
  if [[ $BUILD -eq 1 ]] && { [[ ! -x "$GW_BUILT" ]] ||
       [[ -n "$(cd "$ROOT" && find engine cli CMakeLists.txt -newer "$GW_BUILT" -print -quit 2>/dev/null)" ]]; }; then
    log "building gwsync (tools/build.sh)"
    "$ROOT/tools/build.sh" || { [[ -x "$GW_BUILT" ]] || die "build failed";
                                BUILD_NOTE=", build failed: the binary before it"
                                log "warning: build failed; using the existing binary"; }
  fi
  [[ -x "$GW_BUILT" ]] || die "no $GW_BUILT (run tools/build.sh)"
  # A private copy: others may rebuild build/ while the benchmark runs.
  cp -f "$GW_BUILT" "$WORK/bin/gwsync" || die "cannot copy $GW_BUILT"
}
GWSYNC="$WORK/bin/gwsync"

# ------------------------------------------------------------ gateway
STARTED_GW=0
cleanup() {
  local rc=$?
  if [[ $STARTED_GW -eq 1 && $KEEP_GW -eq 0 ]]; then
    "$ROOT/tools/gateway-stop.sh" --dir "$RGW_DIR" >&2 || true
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

log "starting the benchmark gateway in $RGW_DIR on port $PORT"
STARTED_GW=1
GW_ENV="$("$ROOT/tools/gateway-start.sh" --dir "$RGW_DIR" --port "$PORT" 2>>"$WORK/logs/gateway-start.log")" \
  || { tail -n 20 "$WORK/logs/gateway-start.log" >&2; die "gateway-start.sh failed"; }
eval "$GW_ENV"
ENDPOINT="$GWSYNC_TEST_ENDPOINT"
ASOK="$RGW_DIR/run/client.rgw.a.asok"
CEPH_CONF="$RGW_DIR/ceph.conf"
HOSTPORT="${ENDPOINT#http://}"

# ------------------------------------------------------------ tool env
export AWS_ACCESS_KEY_ID="$GWSYNC_TEST_ACCESS_KEY"
export AWS_SECRET_ACCESS_KEY="$GWSYNC_TEST_SECRET_KEY"
export AWS_ENDPOINT_URL="$ENDPOINT"              # gwsync (aws v2.9 ignores it)
export AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_CONFIG_FILE="$WORK/cfg/aws.config"
export AWS_SHARED_CREDENTIALS_FILE="$WORK/cfg/aws.credentials"
export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
cat >"$AWS_CONFIG_FILE" <<EOF
[default]
region = us-east-1
s3 =
  addressing_style = path
EOF
: >"$AWS_SHARED_CREDENTIALS_FILE"

# The endpoint is plain http; a CA bundle from the environment only breaks
# rclone 1.60 ("LoadCustomCABundleError ... unsupported transport").
unset AWS_CA_BUNDLE
export RCLONE_CONFIG="$WORK/cfg/rclone.conf"
: >"$RCLONE_CONFIG"
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Ceph
export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID"
export RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY"
export RCLONE_CONFIG_BENCH_ENDPOINT="$ENDPOINT"
export RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE=true
RCLONE_FLAGS=(--transfers 32 --checkers 64 --fast-list --s3-no-head --s3-no-head-object
              --update --use-server-modtime)

S3CFG="$WORK/cfg/s3cfg"
cat >"$S3CFG" <<EOF
[default]
access_key = $AWS_ACCESS_KEY_ID
secret_key = $AWS_SECRET_ACCESS_KEY
host_base = $HOSTPORT
host_bucket = $HOSTPORT
use_https = False
signature_v2 = False
bucket_location = us-east-1
EOF
chmod 600 "$S3CFG"

# ------------------------------------------------------------ data
# gen_4k SET N: N files of 4 KiB in $WORK/data/SET, laid out as the data
# set says: small (100 sub-folders) or tree (a registry's storage).
gen_4k() {
  local set="$1" n="$2" dir="$WORK/data/$1" stamp="$WORK/data/$1.stamp"
  [[ "$(cat "$stamp" 2>/dev/null)" == "$n x 4096" ]] && return 0
  log "generating $n x 4 KiB files ($set) in $dir"
  rm -rf -- "$dir" "$stamp"
  python3 - "$dir" "$n" "$set" <<'PY' || die "generating the $set data set failed"
import hashlib, os, random, sys
root, n, layout = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rnd = random.Random(1 if layout == "small" else 2)
for i in range(n):
    if layout == "small":
        path = "d%02d/f%05d" % (i % 100, i)
    elif i % 3 == 2:
        h = hashlib.sha256(b"%d" % i).hexdigest()
        path = "docker/registry/v2/repositories/r%02d/_layers/sha256/%s/link" % (i % 10, h)
    else:
        h = hashlib.sha256(b"%d" % i).hexdigest()
        path = "docker/registry/v2/blobs/sha256/%s/%s/data" % (h[:2], h)
    os.makedirs(os.path.join(root, os.path.dirname(path)), exist_ok=True)
    with open(os.path.join(root, path), "wb") as f:
        f.write(rnd.randbytes(4096))
PY
  echo "$n x 4096" >"$stamp"
}
gen_large() {
  local dir="$WORK/data/large" stamp="$WORK/data/large.stamp"
  [[ "$(cat "$stamp" 2>/dev/null)" == "$LARGE x $LARGE_BYTES" ]] && return 0
  log "generating $LARGE x $LARGE_SIZE files in $dir"
  rm -rf -- "$dir" "$stamp"
  python3 - "$dir" "$LARGE" "$LARGE_BYTES" <<'PY' || die "generating large files failed"
import os, random, sys
root, n, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(root, exist_ok=True)
for i in range(n):
    rnd = random.Random(100 + i)
    with open(os.path.join(root, "f%d" % i), "wb") as f:
        left = size
        while left:
            c = min(left, 8 << 20)
            f.write(rnd.randbytes(c))
            left -= c
PY
  echo "$LARGE x $LARGE_BYTES" >"$stamp"
}
DATASETS=()
[[ "$SMALL" -gt 0 ]] && { gen_4k small "$SMALL"; DATASETS+=(small); }
[[ "$TREE" -gt 0 ]] && { gen_4k tree "$TREE"; DATASETS+=(tree); }
[[ "$LARGE" -gt 0 ]] && { gen_large; DATASETS+=(large); }
[[ ${#DATASETS[@]} -gt 0 ]] || die "no data set (--small 0, --tree 0 and --large 0)"
sync

# ------------------------------------------------------------ measuring
counters() {  # "req get put" of the gateway, or "- - -"
  ceph --admin-daemon "$ASOK" perf dump 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)["rgw"]
print(d["req"], d["get"], d["put"])' 2>/dev/null || echo "- - -"
}
delta() {  # "a b c" "x y z" -> "x-a y-b z-c"
  python3 - "$1" "$2" <<'PY'
import sys
a, b = sys.argv[1].split(), sys.argv[2].split()
print(" ".join(str(int(y) - int(x)) if x != "-" and y != "-" else "-" for x, y in zip(a, b)))
PY
}

# run_phase TOOL DATASET PHASE CMD...: one timed run, one line in RESULTS.
LAST_RC=0
run_phase() {
  local tool="$1" ds="$2" phase="$3"; shift 3
  local base="$WORK/logs/$tool-$ds-$phase" load1 c0 c1 d rc wall user sys rss
  sync
  load1="$(cut -d' ' -f1 /proc/loadavg)"
  c0="$(counters)"
  printf '%q ' "$@" >"$base.cmd"; echo >>"$base.cmd"
  /usr/bin/time -f '%e %U %S %M' -o "$base.time" \
    timeout -k 10 "$PHASE_TIMEOUT" "$@" >"$base.out" 2>"$base.err"
  rc=$?
  c1="$(counters)"
  d="$(delta "$c0" "$c1")"
  read -r wall user sys rss < <(tail -n 1 "$base.time")
  LAST_RC=$rc
  if [[ $rc -ne 0 ]]; then
    log "$tool $ds $phase FAILED (exit $rc$([[ $rc -ne 124 ]] || echo ", timed out after ${PHASE_TIMEOUT}s")); command: $(cat "$base.cmd")"
    sed 's/^/    /' "$base.err" | tail -n 15 >&2
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$tool" "$ds" "$phase" "$rc" \
    "${wall:--}" "${user:--}" "${sys:--}" "${rss:--}" "$load1" "${d// /$'\t'}" >>"$RESULTS"
  log "$(printf '%-6s %-5s %-6s wall %6ss cpu %5s+%-5ss rss %6s KiB load %s rgw req/get/put %s' \
    "$tool" "$ds" "$phase" "${wall:--}" "${user:--}" "${sys:--}" "${rss:--}" "$load1" "$d")"
  return $rc
}

# sync_cmd TOOL SRC DST IDX: sets CMD to the tool's sync of SRC to DST, where
# a bucket is written s3://B (rclone: bench:B).
CMD=()
sync_cmd() {
  local tool="$1" src="$2" dst="$3" idx="$4"
  case "$tool" in
    gwsync) CMD=("$GWSYNC" sync "$src" "$dst" --quiet --index "$idx") ;;
    rclone) CMD=(rclone sync "${src/#s3:\/\//bench:}" "${dst/#s3:\/\//bench:}" "${RCLONE_FLAGS[@]}") ;;
    s3cmd) CMD=(s3cmd -c "$S3CFG" --quiet --no-progress sync "$src/" "$dst/") ;;
    aws) CMD=(/usr/bin/aws --endpoint-url "$ENDPOINT" s3 sync "$src" "$dst" --only-show-errors) ;;
  esac
}

remove_bucket() {
  "$GWSYNC" --quiet rb --force "s3://$1" >>"$WORK/logs/rb.log" 2>&1 || true
  # Free the memstore OSD's RAM now rather than after the GC delay.
  timeout 600 radosgw-admin -c "$CEPH_CONF" gc process --include-all >>"$WORK/logs/gc.log" 2>&1 || true
}

# ------------------------------------------------------------ run
tool_version() {
  case "$1" in
    gwsync) echo "gwsync at $(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$ROOT" && git diff --quiet HEAD -- engine cli 2>/dev/null || echo '+local changes') (binary of $(date -r "$GW_BUILT" '+%H:%M')$BUILD_NOTE)" ;;
    rclone) rclone version 2>/dev/null | head -n 1 ;;
    s3cmd) s3cmd --version 2>/dev/null | head -n 1 ;;
    aws) /usr/bin/aws --version 2>/dev/null | cut -d' ' -f1,2 ;;
  esac
}

: >"$RESULTS"
{
  echo "command=bench/macro.sh${ARGS_AS_GIVEN:+ $ARGS_AS_GIVEN}"
  echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "cpu=$(nproc) cores, $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
  echo "ram=$(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "ceph=$(ceph --version 2>/dev/null | cut -d' ' -f1-3,5)"
  echo "small=$SMALL"
  echo "tree=$TREE"
  echo "large=$LARGE"
  echo "large_bytes=$LARGE_BYTES"
  echo "load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
  for t in "${TOOL_LIST[@]}"; do echo "version_$t=$(tool_version "$t")"; done
  echo "tools=${TOOL_LIST[*]}"
} >"$META"
log "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

FAILURES=0
# raw_rate OP SIZE CONCURRENCY: one `gwsync bench` level, one line in RAWS.
RAWS="$WORK/raw.tsv"
: >"$RAWS"
raw_rate() {
  local op="$1" size="$2" conc="$3" b="bench-raw" objects=1000 json
  json="$WORK/logs/raw-$op-$size.json"
  [[ "$size" == 16MiB ]] && objects=32
  remove_bucket "$b"
  "$GWSYNC" --quiet mb "s3://$b" >>"$WORK/logs/mb.log" 2>&1 || { log "cannot make bucket $b"; return 1; }
  if "$GWSYNC" --quiet bench "s3://$b" --op "$op" --size "$size" --concurrency "$conc" \
       --duration 15s --warmup 3s --objects "$objects" --json "$json" \
       >"$WORK/logs/raw-$op-$size.out" 2>&1; then
    python3 - "$json" "$op" "$size" "$conc" >>"$RAWS" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
t = j["phases"][0]["operations"]["total"]
print("\t".join([sys.argv[2], sys.argv[3], sys.argv[4], str(t["ops_per_s"]), str(t["mib_per_s"]),
                 str(t["errors"]["total"])]))
PY
    log "raw $op $size x$conc: $(tail -n 1 "$RAWS" | cut -f4,5 | sed 's/\t/ ops\/s, /') MiB/s"
  else
    log "raw $op $size failed: $(tail -n 1 "$WORK/logs/raw-$op-$size.out")"
  fi
  remove_bucket "$b"
}
if [[ $RAW -eq 1 ]]; then
  log "raw rates of the gateway (gwsync bench)"
  [[ "$SMALL" -gt 0 || "$TREE" -gt 0 ]] && { raw_rate put 4KiB 32; raw_rate get 4KiB 32; }
  [[ "$LARGE" -gt 0 ]] && { raw_rate put 16MiB 8; raw_rate get 16MiB 8; }
fi

for ds in "${DATASETS[@]}"; do
  SRC="$WORK/data/$ds"
  for tool in "${TOOL_LIST[@]}"; do
    b="bench-$tool-$ds"
    idx="$WORK/idx/$tool-$ds"
    dl="$WORK/dl/$tool-$ds"
    remove_bucket "$b"
    rm -rf -- "$idx" "$dl"
    mkdir -p "$dl"
    "$GWSYNC" --quiet mb "s3://$b" >>"$WORK/logs/mb.log" 2>&1 \
      || { log "cannot make bucket $b: $(tail -n 1 "$WORK/logs/mb.log")"; FAILURES=$((FAILURES + 1)); continue; }
    log "$tool / $ds"
    sync_cmd "$tool" "$SRC" "s3://$b" "$idx"
    run_phase "$tool" "$ds" up "${CMD[@]}" || FAILURES=$((FAILURES + 1))
    run_phase "$tool" "$ds" noop "${CMD[@]}" || FAILURES=$((FAILURES + 1))
    sync_cmd "$tool" "s3://$b" "$dl" "$idx"
    run_phase "$tool" "$ds" down "${CMD[@]}" || FAILURES=$((FAILURES + 1))
    if [[ $VERIFY -eq 1 ]]; then
      if diff -rq -x .gwsync "$SRC" "$dl" >"$WORK/logs/$tool-$ds-verify.log" 2>&1; then
        echo "$tool $ds verified" >>"$WORK/logs/verify.tsv"
      else
        log "$tool $ds: the download differs from the source: $(head -n 3 "$WORK/logs/$tool-$ds-verify.log" | tr '\n' ' ')"
        echo "$tool $ds DIFFERS" >>"$WORK/logs/verify.tsv"
        # mark the download row
        sed -i "\$s/^\($tool\t$ds\tdown\t\)0\t/\1differs\t/" "$RESULTS"
        FAILURES=$((FAILURES + 1))
      fi
    fi
    rm -rf -- "$dl"
    remove_bucket "$b"
  done
done
echo "load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$META"
log "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------ report
python3 - "$RESULTS" "$META" "$OUT" "$RAWS" <<'PY'
import os, sys
results, meta_path, out, raws_path = sys.argv[1:5]
meta = dict(l.rstrip("\n").split("=", 1) for l in open(meta_path) if "=" in l)
rows = {}
order = []
for line in open(results):
    f = line.rstrip("\n").split("\t")
    tool, ds, phase, rc, wall, user, sysc, rss, load1, req, get, put = f
    ok = rc == "0"
    def num(x):
        try: return float(x)
        except ValueError: return None
    r = dict(tool=tool, ds=ds, phase=phase, rc=rc, ok=ok, wall=num(wall),
             cpu=(num(user) + num(sysc)) if num(user) is not None and num(sysc) is not None else None,
             rss=num(rss), load1=load1, req=req, get=get, put=put)
    rows[(tool, ds, phase)] = r
    order.append((tool, ds, phase))

n_small = int(meta["small"]); n_large = int(meta["large"]); large_bytes = int(meta["large_bytes"])
n_tree = int(meta.get("tree", "0"))
MiB = 1024 * 1024; GiB = 1024 * MiB
SMALL_SETS = ("small", "tree")  # measured per object
def nobj(ds): return {"small": n_small, "tree": n_tree}.get(ds, n_large)
def nbytes(ds): return nobj(ds) * 4096 if ds in SMALL_SETS else n_large * large_bytes
def size_name(b):
    return "%d GiB" % (b // GiB) if b % GiB == 0 else "%d MiB" % (b // MiB)
ds_name = {"small": "%d x 4 KiB" % n_small, "tree": "%d x 4 KiB, registry tree" % n_tree,
           "large": "%d x %s" % (n_large, size_name(large_bytes))}

def rate(r):
    if not r["ok"] or not r["wall"]: return "—"
    if r["phase"] == "noop" and r["ds"] == "large": return "—"
    if r["ds"] in SMALL_SETS: return "%.0f obj/s" % (nobj(r["ds"]) / r["wall"])
    return "%.0f MiB/s" % (nbytes("large") / MiB / r["wall"])
def cpu_unit(r):
    if r["cpu"] is None: return "—"
    if r["ds"] in SMALL_SETS: return "%.2f ms/obj" % (r["cpu"] * 1000 / nobj(r["ds"]))
    if r["phase"] == "noop": return "—"
    return "%.2f s/GiB" % (r["cpu"] / (nbytes("large") / GiB))
def f1(x, fmt="%.2f"): return "—" if x is None else fmt % x

L = []
L.append("| tool | data | phase | wall s | rate | CPU s | CPU per obj / GiB | peak RSS MiB | load1 | RGW req / get / put | status |")
L.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
for k in order:
    r = rows[k]
    status = "ok" if r["ok"] else ("download differs" if r["rc"] == "differs" else
                                   "timed out" if r["rc"] == "124" else "FAILED (exit %s)" % r["rc"])
    L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s | %s |" % (
        r["tool"], ds_name[r["ds"]], r["phase"], f1(r["wall"]), rate(r), f1(r["cpu"]),
        cpu_unit(r), f1(r["rss"] / 1024 if r["rss"] else None, "%.0f"), r["load1"],
        r["req"], r["get"], r["put"], status))

# ratios gwsync vs each peer
peers = [t for t in meta["tools"].split() if t != "gwsync"]
R = []
if "gwsync" in meta["tools"].split() and peers:
    R.append("| data | phase | " + " | ".join("vs %s: speed x / CPU x / RSS x" % p for p in peers) + " |")
    R.append("|---|---|" + "---:|" * len(peers))
    seen = []
    for (_, ds, phase) in order:
        if (ds, phase) in seen: continue
        seen.append((ds, phase))
        g = rows.get(("gwsync", ds, phase))
        cells = []
        for p in peers:
            o = rows.get((p, ds, phase))
            if not g or not o or not g["ok"] or not o["ok"] or not g["wall"] or not o["wall"] or not o["cpu"]:
                cells.append("—"); continue
            cells.append("%.2f / %.2f / %.2f" % (o["wall"] / g["wall"], g["cpu"] / o["cpu"],
                                                 g["rss"] / o["rss"] if o["rss"] else float("nan")))
        R.append("| %s | %s | %s |" % (ds_name[ds], phase, " | ".join(cells)))

# targets against rclone
T = []
def both(ds, phase):
    g, o = rows.get(("gwsync", ds, phase)), rows.get(("rclone", ds, phase))
    if g and o and g["ok"] and o["ok"] and g["wall"] and o["wall"]: return g, o
    return None, None
def speed(ds, phase, goal, what):
    g, o = both(ds, phase)
    if not g: T.append("| %s | >= %.1fx | not measured | — |" % (what, goal)); return
    x = o["wall"] / g["wall"]
    T.append("| %s | >= %.1fx | %.2fx | %s |" % (what, goal, x, "met" if x >= goal else "**missed**"))
def cpu(ds, phase, goal, what):
    g, o = both(ds, phase)
    if not g or not o["cpu"]: T.append("| %s | <= %.2fx | not measured | — |" % (what, goal)); return
    x = g["cpu"] / o["cpu"]
    T.append("| %s | <= %.2fx | %.2fx | %s |" % (what, goal, x, "met" if x <= goal else "**missed**"))
if "gwsync" in meta["tools"].split() and "rclone" in peers:
    T.append("| target (gwsync vs rclone) | goal | measured | |")
    T.append("|---|---:|---:|---|")
    if n_small:
        speed("small", "up", 1.2, "small upload objects/s")
        speed("small", "down", 2.0, "small download objects/s")
        cpu("small", "up", 0.25, "small upload CPU per object")
        cpu("small", "down", 0.25, "small download CPU per object")
        speed("small", "noop", 3.0, "no-change re-sync speed (small)")
    if n_tree:  # the same 4 KiB objects, a folder each
        speed("tree", "up", 1.2, "registry tree upload objects/s")
        speed("tree", "down", 2.0, "registry tree download objects/s")
        cpu("tree", "up", 0.25, "registry tree upload CPU per object")
        cpu("tree", "down", 0.25, "registry tree download CPU per object")
    for ds in [d for d, n in (("small", n_small), ("tree", n_tree), ("large", n_large)) if n]:
        g = rows.get(("gwsync", ds, "noop"))
        if g and g["ok"] and g["get"] != "-":
            zero = g["get"] == "0" and g["put"] == "0"
            T.append("| no-change re-sync (%s): GET/HEAD/PUT | 0 / 0 | %s / %s (req %s) | %s |" % (
                ds_name[ds], g["get"], g["put"], g["req"], "met" if zero else "**missed**"))
    if n_large:
        speed("large", "up", 2.0, "large upload MiB/s")
        speed("large", "down", 1.5, "large download MiB/s")
        cpu("large", "up", 0.5, "large upload CPU per GiB")
        cpu("large", "down", 0.5, "large download CPU per GiB")

# each sync against the raw rate of the same gateway in the same run
raw = {}
if os.path.exists(raws_path):
    for line in open(raws_path):
        op, size, conc, ops, mib, errs = line.rstrip("\n").split("\t")
        raw[(op, size)] = (int(conc), float(ops), float(mib), int(errs))
W = []
def against(ds, phase, op, size, goal):
    if (op, size) not in raw: return
    conc, ops, mib, errs = raw[(op, size)]
    base = ops if size == "4KiB" else mib
    unit = "obj/s" if size == "4KiB" else "MiB/s"
    for tool in [t for t in meta["tools"].split() if t in ("gwsync", "rclone")]:
        r = rows.get((tool, ds, phase))
        if not r or not r["ok"] or not r["wall"] or not base: continue
        got = nobj(ds) / r["wall"] if size == "4KiB" else nbytes(ds) / MiB / r["wall"]
        x = got / base
        verdict = ("met" if x >= goal else "**missed**") if tool == "gwsync" else ""
        W.append("| %s %s, %s | raw %s %s x%d: %.0f %s%s | %.0f %s | %.0f%% | >= %.0f%% | %s |" % (
            ds_name[ds], phase, tool, op.upper(), size, conc, base, unit,
            " (%d errors)" % errs if errs else "", got, unit, 100 * x, 100 * goal, verdict))
if raw:
    W.append("| sync | raw rate (gwsync bench) | sync rate | of raw | target | |")
    W.append("|---|---:|---:|---:|---:|---|")
    if n_small:
        against("small", "up", "put", "4KiB", 0.9); against("small", "down", "get", "4KiB", 0.9)
    if n_tree:
        against("tree", "up", "put", "4KiB", 0.9); against("tree", "down", "get", "4KiB", 0.9)
    if n_large:
        against("large", "up", "put", "16MiB", 0.9); against("large", "down", "get", "16MiB", 0.65)

head = []
head.append("Command: `%s`" % meta["command"])
head.append("")
head.append("Date: %s. Machine: %s, %s RAM; %s, one monitor, one memstore OSD, one radosgw, "
            "all on the same machine as the client. Load average (1/5/15 min) at start %s, at end %s; "
            "`load1` is the 1-minute load when each phase started." % (
                meta["date"], meta["cpu"], meta["ram"], meta["ceph"], meta["load_start"],
                meta.get("load_end", "?")))
head.append("")
head.append("Tools: " + "; ".join(meta["version_" + t] for t in meta["tools"].split() if "version_" + t in meta) + ".")
text = "\n".join(head + [""] + L + [""] +
                 (["Ratios (speed x = peer wall / gwsync wall, higher is better; CPU x and RSS x = gwsync / peer, lower is better):", ""] + R + [""] if R else []) +
                 (T + [""] if T else []) +
                 (["Against the raw rate of the same gateway in the same run:", ""] + W + [""] if len(W) > 2 else []))
open(out, "w").write(text)
print(text)
PY
log "results: $OUT (raw: $RESULTS, logs: $WORK/logs)"
[[ $FAILURES -eq 0 ]] || { log "$FAILURES phase(s) failed"; exit 1; }
exit 0
