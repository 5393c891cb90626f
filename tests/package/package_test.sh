#!/usr/bin/env bash
# The Debian package: built from this build folder with cpack, unpacked with
# dpkg -x into a scratch folder (no root, nothing installed system-wide), and
# checked as a user would: its dependencies come from Debian's shared
# libraries, it holds the binary, the man page, bash completion, example
# configs and the systemd units, `gwsync --version` runs, and, with a test
# gateway in the environment, a round trip through it.
# Usage: package_test.sh BUILD_DIR
set -euo pipefail
build=$(cd "$1" && pwd)
work=$(mktemp -d /tmp/gwsync-package-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }

cmake --build "$build" --target gwsync gwsync_docs >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; fail "build"; }
(cd "$build" && cpack -G DEB -B "$work/out" >"$work/cpack.log" 2>&1) \
  || { cat "$work/cpack.log" >&2; fail "cpack"; }
deb=$(ls "$work"/out/gwsync_*.deb)
echo "package_test: built $(basename "$deb")"

depends=$(dpkg-deb -f "$deb" Depends)
echo "package_test: Depends: $depends"
for lib in libcurl libssl librocksdb libtbb libc6; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib"
done

dpkg -x "$deb" "$work/root"
for f in usr/bin/gwsync usr/share/man/man1/gwsync.1.gz \
         usr/share/bash-completion/completions/gwsync \
         usr/share/doc/gwsync/examples/remotes.conf usr/share/doc/gwsync/examples/s3cfg \
         usr/share/doc/gwsync/examples/gwsync.cron \
         usr/lib/systemd/system/gwsync-nightly@.service usr/lib/systemd/system/gwsync-nightly@.timer; do
  [ -e "$work/root/$f" ] || fail "missing $f"
done
bin="$work/root/usr/bin/gwsync"
[ "$("$bin" --version)" = "gwsync 0.1.0" ] || fail "--version"

# The man page renders and names every command; the completion completes.
man=$(zcat "$work/root/usr/share/man/man1/gwsync.1.gz")
for word in '.TH GWSYNC 1' 'metrics\-file' 'gwsync doctor' 'gwsync sync'; do
  grep -qF -- "$word" <<<"$man" || fail "man page lacks '$word'"
done
if command -v groff >/dev/null; then
  groff -man -Tutf8 -ww -z <<<"$man" 2>"$work/groff.err" || true
  [ ! -s "$work/groff.err" ] || { cat "$work/groff.err" >&2; fail "groff warnings"; }
fi
got=$(bash -c 'source "$1"; COMP_WORDS=(gwsync sync --metr); COMP_CWORD=2; _gwsync; echo "${COMPREPLY[*]}"' \
  _ "$work/root/usr/share/bash-completion/completions/gwsync")
[ "$got" = "--metrics-file" ] || fail "completion of 'gwsync sync --metr' gave '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=(gwsync do); COMP_CWORD=1; _gwsync; echo "${COMPREPLY[*]}"' \
  _ "$work/root/usr/share/bash-completion/completions/gwsync")
[ "$got" = "doctor" ] || fail "completion of 'gwsync do' gave '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=(gwsync bench co); COMP_CWORD=2; _gwsync; echo "${COMPREPLY[*]}"' \
  _ "$work/root/usr/share/bash-completion/completions/gwsync")
[ "$got" = "compare" ] || fail "completion of 'gwsync bench co' gave '$got'"

if [ -n "${GWSYNC_TEST_ENDPOINT:-${GWSYNC_TEST_ENDPOINTS:-}}" ]; then
  endpoint=${GWSYNC_TEST_ENDPOINT:-${GWSYNC_TEST_ENDPOINTS%% *}}
  export HOME="$work/home" AWS_ACCESS_KEY_ID=$GWSYNC_TEST_ACCESS_KEY \
    AWS_SECRET_ACCESS_KEY=$GWSYNC_TEST_SECRET_KEY
  mkdir -p "$HOME/src/sub"
  head -c 100000 /dev/urandom >"$HOME/src/sub/blob"
  echo hello >"$HOME/src/hello"
  bucket="package-test-$$"
  "$bin" --endpoint "$endpoint" --quiet sync "$HOME/src" "s3://$bucket" || fail "upload"
  "$bin" --endpoint "$endpoint" --quiet sync "s3://$bucket" "$HOME/back" || fail "download"
  "$bin" --endpoint "$endpoint" --quiet rb --force "s3://$bucket" || fail "rb"
  diff -r --exclude=.gwsync "$HOME/src" "$HOME/back" || fail "round trip differs"
  echo "package_test: round trip through $endpoint OK"
fi
echo "package_test: OK"
