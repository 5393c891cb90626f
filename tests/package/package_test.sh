#!/usr/bin/env bash
# The Debian package, installed on this machine as an operator would: built
# from this build folder with cpack, its dependencies checked to come from
# Debian's shared libraries, then `apt-get install ./gwsync_*.deb` (root),
# the installed /usr/bin/gwsync's --version, a round trip through the test
# gateway, the man page and completions where `dpkg -L` says and found by
# man, bash and zsh; then purged again, also when a check fails, together
# with anything apt pulled in for it. Refuses to run where gwsync is already
# installed, so it never replaces an operator's copy. Holds a machine-wide
# lock: checkouts beside this one share the machine.
# Usage: package_test.sh BUILD_DIR   (with GWSYNC_TEST_* from the gateway's env)
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/gwsync-package-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "package_test: FAIL: $*" >&2; exit 1; }
installed() {  # gwsync is in dpkg's database in any state but "not-installed"
  local status
  status=$(dpkg-query -W -f='${db:Status-Status}' gwsync 2>/dev/null) || return 1
  [ -n "$status" ] && [ "$status" != not-installed ]
}
[ "$(id -u)" -eq 0 ] || fail "installs with apt-get: run as root"
endpoint=${GWSYNC_TEST_ENDPOINT:-${GWSYNC_TEST_ENDPOINTS:-}}
endpoint=${endpoint%% *}
[ -n "$endpoint" ] || fail "no test gateway: source its env file (tools/gateway-start.sh)"

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


# One package test per machine at a time; dpkg's own lock is waited for.
exec 9>/run/lock/gwsync-package-test.lock
flock -w 600 9 || fail "another package test holds /run/lock/gwsync-package-test.lock"
APT=(apt-get -y -q -o DPkg::Lock::Timeout=600)
export DEBIAN_FRONTEND=noninteractive
if installed; then
  fail "gwsync is installed on this machine already; remove it first (apt-get purge gwsync)"
fi
[ ! -e /usr/bin/gwsync ] || fail "/usr/bin/gwsync exists and belongs to no package"

# Every dependency is a package apt knows (dpkg-shlibdeps' names, not cmake's).
for dep in $(sed 's/([^)]*)//g; s/[,|]/ /g' <<<"$depends"); do
  apt-cache show --no-all-versions "$dep" >/dev/null 2>&1 || fail "apt knows no package '$dep'"
done

dpkg-query -W -f='${Package}\n' | sort >"$work/before"
cleanup() {
  local rc=$?
  # Purge gwsync and whatever apt pulled in for it: the machine as found.
  local added
  added=$(dpkg-query -W -f='${Package}\n' | sort | comm -13 "$work/before" - | tr '\n' ' ')
  if [ -n "$added" ]; then
    # shellcheck disable=SC2086
    "${APT[@]}" purge $added >"$work/purge.log" 2>&1 || { cat "$work/purge.log" >&2; rc=1; }
  fi
  if installed || [ -e /usr/bin/gwsync ]; then
    echo "package_test: FAIL: gwsync still installed after the purge" >&2
    rc=1
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
chmod 755 "$work" "$work/out"  # apt reads the .deb as its _apt user
"${APT[@]}" install "$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get install"; }
grep -E '^(The following NEW|Setting up)' -A1 "$work/apt.log" | sed 's/^/package_test: apt: /' || true

files=$(dpkg -L gwsync)
for f in /usr/bin/gwsync /usr/share/man/man1/gwsync.1.gz \
         /usr/share/bash-completion/completions/gwsync /usr/share/zsh/vendor-completions/_gwsync \
         /usr/share/doc/gwsync/examples/remotes.conf /usr/share/doc/gwsync/examples/s3cfg \
         /usr/share/doc/gwsync/examples/gwsync-nightly.env /usr/share/doc/gwsync/examples/gwsync.cron \
         /usr/lib/systemd/system/gwsync-nightly@.service /usr/lib/systemd/system/gwsync-nightly@.timer; do
  grep -qxF "$f" <<<"$files" || fail "dpkg -L gwsync lacks $f"
  [ -e "$f" ] || fail "$f is listed but not installed"
done
[ "$(command -v gwsync)" = /usr/bin/gwsync ] || fail "gwsync on PATH is $(command -v gwsync)"
[ "$(gwsync --version)" = "gwsync 0.1.0" ] || fail "--version"

# The man page renders and names every command; man finds it.
if command -v man >/dev/null; then
  [ "$(man -w gwsync)" = /usr/share/man/man1/gwsync.1.gz ] || fail "man -w gwsync: $(man -w gwsync)"
fi
man=$(zcat /usr/share/man/man1/gwsync.1.gz)
for word in '.TH GWSYNC 1' 'metrics\-file' 'gwsync doctor' 'gwsync sync'; do
  grep -qF -- "$word" <<<"$man" || fail "man page lacks '$word'"
done
if command -v groff >/dev/null; then
  groff -man -Tutf8 -ww -z <<<"$man" 2>"$work/groff.err" || true
  [ ! -s "$work/groff.err" ] || { cat "$work/groff.err" >&2; fail "groff warnings"; }
fi

# The completions complete, from where they are installed.
bash_completion=/usr/share/bash-completion/completions/gwsync
got=$(bash -c 'source "$1"; COMP_WORDS=(gwsync sync --metr); COMP_CWORD=2; _gwsync; echo "${COMPREPLY[*]}"' \
  _ "$bash_completion")
[ "$got" = "--metrics-file" ] || fail "completion of 'gwsync sync --metr' gave '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=(gwsync do); COMP_CWORD=1; _gwsync; echo "${COMPREPLY[*]}"' \
  _ "$bash_completion")
[ "$got" = "doctor" ] || fail "completion of 'gwsync do' gave '$got'"
got=$(bash -c 'source "$1"; COMP_WORDS=(gwsync bench co); COMP_CWORD=2; _gwsync; echo "${COMPREPLY[*]}"' \
  _ "$bash_completion")
[ "$got" = "compare" ] || fail "completion of 'gwsync bench co' gave '$got'"
if command -v zsh >/dev/null; then
  # zsh's own $fpath, nothing added: Debian's zsh reads vendor-completions.
  mkdir "$work/no-fpath"
  got=$(zsh "$here/../cli/zsh_complete.zsh" "$work/no-fpath" 'gwsync sync --dry' | cut -f1)
  [ "$got" = "--dry-run" ] || fail "zsh completion of 'gwsync sync --dry' gave '$got'"
fi

# A round trip through the test gateway with the installed binary.
export HOME="$work/home" AWS_ACCESS_KEY_ID=$GWSYNC_TEST_ACCESS_KEY \
  AWS_SECRET_ACCESS_KEY=$GWSYNC_TEST_SECRET_KEY
mkdir -p "$HOME/src/sub"
head -c 100000 /dev/urandom >"$HOME/src/sub/blob"
echo hello >"$HOME/src/hello"
bucket="package-test-$$"
gwsync --endpoint "$endpoint" --quiet sync "$HOME/src" "s3://$bucket" || fail "upload"
gwsync --endpoint "$endpoint" --quiet sync "s3://$bucket" "$HOME/back" || fail "download"
gwsync --endpoint "$endpoint" --quiet rb --force "s3://$bucket" || fail "rb"
diff -r --exclude=.gwsync "$HOME/src" "$HOME/back" || fail "round trip differs"
echo "package_test: round trip with /usr/bin/gwsync through $endpoint OK"
echo "package_test: OK"
