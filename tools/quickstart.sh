#!/usr/bin/env bash
# The main job on a fresh machine, end to end: back up a Docker registry's
# bucket and restore it onto a new bucket, and prove nothing was lost.
#
# usage: tools/quickstart.sh [--keep-gateway]
#
#  1. installs the dependencies (tools/install-deps.sh) and builds gwsync
#     (tools/build.sh)
#  2. starts a local Ceph RGW on 127.0.0.1 in its own folder
#     (tools/gateway-start.sh --dir $GWSYNC_QS_RGW_DIR)
#  3. generates a registry-like tree (tools/gen-registry.py: blobs from under 1 KiB
#     to tens of MiB, 71-byte link files, seeded mtimes)
#  4. gwsync sync TREE/ s3://registry                  (the registry's bucket)
#  5. gwsync sync s3://registry BACKUP                 (the backup)
#  6. gwsync sync BACKUP/ s3://registry-restored       (restore, new bucket)
#  7. gwsync sync s3://registry-restored VERIFY, then diff -r TREE VERIFY and
#     the same for BACKUP, and every file's mtime (stat -c %Y) compared
#  8. gwsync sync s3://registry BACKUP again: the incremental run must
#     transfer nothing
#  9. gwsync verify: the backup against the bucket (--content: every file
#     re-read and checked against its object's ETag), and against the run
#     manifest the last backup left in BACKUP/.gwsync/, and the bucket
#     against that manifest (listing only); each must exit 0
# printing each step with gwsync's own summary, then "quickstart: OK ...".
# Exits non-zero on any failure. All syncs share one private index in the
# work folder, so runs are independent of ~/.cache/gwsync. The gateway is
# stopped at the end unless --keep-gateway is given.
#
# Env: GWSYNC_QS_SIZE (bytes of blobs, default 200MiB), GWSYNC_QS_SEED
#      (default 1), GWSYNC_PORT (gateway port; default: that of a gateway kept
#      in GWSYNC_QS_RGW_DIR by --keep-gateway, else 7480, or the next free
#      one of 7490, 7500, ... when 7480 is taken), GWSYNC_QS_RGW_DIR (gateway
#      folder, default /tmp/gwsync-quickstart), GWSYNC_QS_WORK (parent of the
#      work folder, default /tmp; the work folder is removed on success and
#      kept for a look on failure).
set -euo pipefail
cd "$(dirname "$0")/.."

keep=0
for arg in "$@"; do
  case "$arg" in
    --keep-gateway) keep=1 ;;
    -h|--help) sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"; exit 0 ;;
    *) echo "quickstart: unknown argument: $arg (see --help)" >&2; exit 2 ;;
  esac
done

SIZE="${GWSYNC_QS_SIZE:-200MiB}"
SEED="${GWSYNC_QS_SEED:-1}"
RGW_DIR="${GWSYNC_QS_RGW_DIR:-/tmp/gwsync-quickstart}"
BUCKET=registry
RESTORED=registry-restored

now_ms() { date +%s%3N; }
T0=$(now_ms)
secs_since() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
step() { printf '\n== [%5ss] %s\n' "$(secs_since "$T0")" "$*"; }
say() { printf '   %s\n' "$*"; }
die() { printf '\nquickstart: FAILED: %s\n' "$*" >&2; exit 1; }

work=""
gateway_started=0
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local rc=$?
  if [ "$gateway_started" -eq 1 ] && [ "$keep" -eq 0 ]; then
    tools/gateway-stop.sh --dir "$RGW_DIR" >/dev/null 2>&1 || true
  fi
  if [ -n "$work" ] && [ -d "$work" ]; then
    if [ "$rc" -eq 0 ]; then
      rm -rf -- "$work"
    else
      echo "quickstart: the work folder is kept for a look: $work (rm -rf it when done)" >&2
    fi
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

port_busy() { timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; }
pick_port() {
  if [ -n "${GWSYNC_PORT:-}" ]; then echo "$GWSYNC_PORT"; return; fi
  # a gateway kept by an earlier --keep-gateway run in our folder: its port
  if [ -f "$RGW_DIR/env" ]; then
    local p
    p=$(sed -n "s|^export GWSYNC_TEST_ENDPOINT='http://127.0.0.1:\([0-9]*\)'\$|\1|p" "$RGW_DIR/env")
    [ -n "$p" ] && { echo "$p"; return; }
  fi
  local port
  for port in 7480 7490 7500 7510 7520 7530 7540 7550 7560 7570 7580 7590; do
    port_busy "$port" || { echo "$port"; return; }
  done
  echo 7480  # all taken: let gateway-start.sh say so
}

# ---------------------------------------------------------------- 1. setup
step "installing dependencies (Debian packages)"
tools/install-deps.sh
step "building"
tools/build.sh
GW="$PWD/build/cli/gwsync"

step "starting a local Ceph RGW ($RGW_DIR)"
port=$(pick_port)
gateway_started=1
eval "$(tools/gateway-start.sh --dir "$RGW_DIR" --port "$port")"
export AWS_ACCESS_KEY_ID="$GWSYNC_TEST_ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$GWSYNC_TEST_SECRET_KEY"
export AWS_ENDPOINT_URL="$GWSYNC_TEST_ENDPOINT"
unset AWS_REGION AWS_DEFAULT_REGION
say "gateway: $AWS_ENDPOINT_URL"
# a gateway kept from an earlier run may still hold our buckets: start clean
has_bucket() {
  local all
  all=$("$GW" ls) || die "cannot list the buckets"
  grep -q " s3://$1\$" <<<"$all"
}
for b in "$BUCKET" "$RESTORED"; do
  if has_bucket "$b"; then
    "$GW" rb --force "s3://$b" >/dev/null || die "cannot remove the leftover bucket s3://$b"
    say "removed s3://$b left over from an earlier run"
  fi
done

mkdir -p "${GWSYNC_QS_WORK:-/tmp}"
work=$(mktemp -d "${GWSYNC_QS_WORK:-/tmp}/gwsync-quickstart-work.XXXXXX")
TREE="$work/registry" BACKUP="$work/backup" VERIFY="$work/verify" INDEX="$work/index"

# ---------------------------------------------------------------- 2. data
step "generating a registry-like tree ($SIZE, seed $SEED)"
tools/gen-registry.py "$TREE" --size "$SIZE" --seed "$SEED" 2>&1 | sed 's/^/   /' \
  || die "gen-registry.py failed (GWSYNC_QS_SIZE=$SIZE GWSYNC_QS_SEED=$SEED)"
nfiles=$(find "$TREE" -type f | wc -l)
nbytes=$(find "$TREE" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
[ "$nfiles" -gt 0 ] || die "gen-registry.py made no files"

# run_sync NAME SRC DST: runs gwsync sync with the private index, prints its
# summary indented, keeps it in $work/NAME.out and its seconds in SECS_NAME
declare -A SECS
run_sync() {
  local name="$1" src="$2" dst="$3" t
  say "\$ gwsync sync --index \$WORK/index $src $dst"
  t=$(now_ms)
  "$GW" sync --index "$INDEX" "$src" "$dst" >"$work/$name.out" \
    || { sed 's/^/   | /' "$work/$name.out"; die "gwsync sync $src $dst failed"; }
  SECS[$name]=$(secs_since "$t")
  sed 's/^/   | /' "$work/$name.out"
}
# count NAME ACTION: objects the summary of run NAME gives for ACTION
count() {
  awk -v a="$2" '{ line = $0; sub(/^ +/, "", line) }
    index(line, a " ") == 1 { rest = substr(line, length(a) + 1); split(rest, f, " "); n += f[1] }
    END { print n + 0 }' "$work/$1.out"
}
expect_count() {  # NAME ACTION N
  local got
  got=$(count "$1" "$2")
  [ "$got" -eq "$3" ] || die "$1: gwsync reported $got objects for '$2', expected $3"
}
rate() {  # NAME -> "X.X s (Y MiB/s)"
  awk -v s="${SECS[$1]}" -v b="$nbytes" \
    'BEGIN { printf "%.1f s (%.0f MiB/s)", s, (s > 0 ? b / 1048576 / s : 0) }'
}
tree_dump() {  # DIR: "mtime size path" of every file but gwsync's .gwsync/, sorted
  (cd "$1" && find . -path ./.gwsync -prune -o -type f -printf '%T@ %s %P\n' |
    sed 's/^\([0-9]*\)\.[0-9]*/\1/' | sort -k3)
}

# ---------------------------------------------------------------- 3. upload
step "upload: the tree into s3://$BUCKET (sync creates the bucket)"
run_sync upload "$TREE/" "s3://$BUCKET"
expect_count upload upload "$nfiles"

# ---------------------------------------------------------------- 4. backup
step "backup: s3://$BUCKET to a folder"
run_sync backup "s3://$BUCKET" "$BACKUP"
expect_count backup download "$nfiles"

# ---------------------------------------------------------------- 5. restore
step "restore: the backup into a new bucket s3://$RESTORED"
if has_bucket "$RESTORED"; then die "s3://$RESTORED exists before the restore"; fi
run_sync restore "$BACKUP/" "s3://$RESTORED"
expect_count restore upload "$nfiles"

# ---------------------------------------------------------------- 6. verify
step "verify: s3://$RESTORED to a third folder, compared with the original"
run_sync verify "s3://$RESTORED" "$VERIFY"
expect_count verify download "$nfiles"
# The backup also holds the bucket's settings in .gwsync/: gwsync's, not the tree's.
test -f "$BACKUP/.gwsync/bucket/acl.xml" || die "the backup has no bucket settings (.gwsync/bucket/)"
# BACKUP/.gwsync/ holds the backup's run manifests, not registry data
diff -r -x .gwsync "$TREE" "$BACKUP" >"$work/diff.out" 2>&1 \
  || { head -20 "$work/diff.out"; die "the backup differs from the original tree"; }
say "diff -r original backup: identical"
diff -r -x .gwsync "$TREE" "$VERIFY" >"$work/diff.out" 2>&1 \
  || { head -20 "$work/diff.out"; die "the restored bucket differs from the original tree"; }
say "diff -r original restored: identical ($nfiles files, $nbytes bytes)"
for d in "$BACKUP" "$VERIFY"; do
  if ! diff <(tree_dump "$TREE") <(tree_dump "$d") >"$work/mtime.out"; then
    head -20 "$work/mtime.out"
    die "mtimes (or sizes) in $d differ from the original (lines: < original, > copy)"
  fi
done
say "mtimes: all $nfiles files in the backup and the restored copy match the original; for example:"
samples=$( (cd "$TREE" && { find . -type f -name data -printf '%s %P\n' | sort -n | tail -1 | cut -d' ' -f2
  find . -path '*/_layers/*/link' -printf '%P\n' | sort | head -1
  find . -path '*/_manifests/tags/*/current/link' -printf '%P\n' | sort | head -1; }) )
while IFS= read -r f; do
  a=$(stat -c %Y "$TREE/$f") b=$(stat -c %Y "$BACKUP/$f") c=$(stat -c %Y "$VERIFY/$f")
  [ "$a" = "$b" ] && [ "$a" = "$c" ] || die "mtime of $f: original $a, backup $b, restored $c"
  say "  $(date -u -d "@$a" '+%F %T') (original = backup = restored)  ${f#docker/registry/v2/}"
done <<<"$samples"

# ---------------------------------------------------------------- 7. again
step "incremental: the same backup again (nothing changed, nothing to move)"
run_sync again "s3://$BUCKET" "$BACKUP"
if grep -Eq '^ *(upload|download|copy|delete) ' "$work/again.out"; then
  die "the second backup run transferred or deleted objects"
fi
expect_count again "skip: unchanged" "$nfiles"
say "transferred nothing: all $nfiles objects skipped as unchanged"

# ---------------------------------------------------------------- 8. prove
step "prove: gwsync verify the backup against the bucket and its manifest"
# run_verify NAME ARGS...: gwsync verify, its report indented; must exit 0
run_verify() {
  local name="$1" t
  shift
  say "\$ gwsync verify $*"
  t=$(now_ms)
  "$GW" verify "$@" >"$work/$name.out" 2>&1 \
    || { sed 's/^/   | /' "$work/$name.out"; die "gwsync verify $* found differences"; }
  SECS[$name]=$(secs_since "$t")
  sed 's/^/   | /' "$work/$name.out"
}
MANIFEST="$BACKUP/.gwsync/manifest-latest"
[ -s "$MANIFEST" ] || die "the backup has no run manifest ($MANIFEST)"
run_verify prove_content --content "s3://$BUCKET" "$BACKUP"
run_verify prove_manifest --content "$MANIFEST" "$BACKUP"
run_verify prove_listing "$MANIFEST" "s3://$BUCKET"
grep -q "^$nfiles of $nfiles objects match" "$work/prove_content.out" \
  || die "gwsync verify did not check all $nfiles objects"

mib=$(awk -v b="$nbytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo
echo "quickstart: OK: $nfiles files, $mib MiB, byte-exact with mtimes after upload,"
echo "  backup and restore into a new bucket: upload $(rate upload), backup $(rate backup),"
echo "  restore $(rate restore), verify download $(rate verify); incremental backup" \
  "${SECS[again]} s, nothing transferred; verify --content ${SECS[prove_content]} s;" \
  "$(secs_since "$T0") s in all"
if [ "$keep" -eq 1 ]; then
  echo "the gateway keeps running at $AWS_ENDPOINT_URL with s3://$BUCKET and s3://$RESTORED" \
    "(stop: tools/gateway-stop.sh --dir $RGW_DIR)"
fi
exit 0
