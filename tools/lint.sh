#!/usr/bin/env bash
# The lint step: the habits that keep the code readable, checked by machine
# (docs/HACKING.md, "Lint"). One line per problem, exit 1 if there is any.
#
# usage: tools/lint.sh [--all | --base REV] [FILE...]
#
# On the whole tree, always (a few seconds):
#   - a tracked file that .gitignore calls generated (build output, caches);
#   - a source file (C++, shell, Python, CMake) over 500 lines without a
#     `size: REASON` comment (`// size: ...` or `# size: ...`);
#   - a NOLINT that names no check or gives no reason;
#   - clang-format (.clang-format) on every C++ file.
# On the changed C++ files only (seconds a file, so not the whole tree):
#   - clang-tidy (.clang-tidy), including the 80-line function limit.
#   "Changed" means: the FILEs given; with --all every C++ file; else the
#   files changed since REV (--base REV, or $GWSYNC_LINT_BASE); else, on a
#   branch ahead of main, since it left main; else (main itself, as CI after
#   a merge) since the last commit's first parent, which for a merge is
#   everything the merge brought in. A changed header is checked through
#   the .cc of the same name, or else the first file that includes it.
# Env: GWSYNC_JOBS (clang-tidy processes, default 2).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
JOBS="${GWSYNC_JOBS:-2}"
MAX_LINES=500

mode=default base="${GWSYNC_LINT_BASE:-}" given=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all) mode=all ;;
    --base) base="${2:?--base needs a revision}"; shift ;;
    -h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "lint: unknown option $1" >&2; exit 2 ;;
    *) given+=("$1") ;;
  esac
  shift
done

problems=0
problem() { echo "lint: $*"; problems=$((problems + 1)); }

# Generated files: what .gitignore ignores must not be tracked.
while IFS= read -r f; do
  problem "$f: a generated file is tracked (it matches .gitignore); git rm --cached it"
done < <(git ls-files -ci --exclude-standard)

# File size: a source file past 500 lines is asking to be two.
while IFS= read -r f; do
  [ -f "$f" ] || continue
  n=$(wc -l <"$f")
  [ "$n" -gt "$MAX_LINES" ] || continue
  grep -qE '^[[:space:]]*(//|#) size: [^[:space:]]' "$f" && continue
  mark='//'; [[ "$f" =~ \.(cc|h)$ ]] || mark='#'
  problem "$f: $n lines (limit $MAX_LINES): split it, or say why not in a '$mark size: REASON' comment"
done < <(git ls-files '*.cc' '*.h' '*.sh' '*.py' '*.cmake' '*CMakeLists.txt' .ci/run)

# A NOLINT names its check and says why: NOLINT(check): reason.
while IFS= read -r hit; do
  problem "${hit%%:[[:space:]]*}: a NOLINT without a check and a reason; write NOLINT(check): why"
done < <(git grep -nE 'NOLINT(NEXTLINE|BEGIN|END)?' -- '*.cc' '*.h' |
  grep -vE 'NOLINT(NEXTLINE|BEGIN|END)?\([a-z0-9.*,-]+\):? +[^[:space:]]' |
  grep -vE 'NOLINTEND\([a-z0-9.*,-]+\)' | cut -d: -f1,2)

# clang-format: every C++ file (two seconds for the tree).
if [ ${#given[@]} -gt 0 ]; then
  fmt_files=()
  for f in "${given[@]}"; do [[ "$f" =~ \.(cc|h)$ ]] && fmt_files+=("$f"); done
else
  mapfile -t fmt_files < <(git ls-files '*.cc' '*.h')
fi
if [ ${#fmt_files[@]} -gt 0 ]; then
  while IFS= read -r f; do
    problem "$f: not clang-formatted; run clang-format -i $f"
  done < <(clang-format --dry-run "${fmt_files[@]}" 2>&1 | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' |
    cut -d: -f1 | sort -u)
fi

# clang-tidy: the changed files.
if [ ${#given[@]} -gt 0 ]; then
  changed=("${given[@]}")
elif [ "$mode" = all ]; then
  mapfile -t changed < <(git ls-files '*.cc' '*.h')
else
  if [ -z "$base" ]; then
    main=""
    for m in main origin/main; do git rev-parse -q --verify "$m^{commit}" >/dev/null && { main=$m; break; }; done
    if [ -n "$main" ] && ! git merge-base --is-ancestor HEAD "$main"; then
      base=$(git merge-base HEAD "$main")
    else
      base=$(git rev-parse -q --verify 'HEAD^1') || base=""
    fi
  fi
  if [ -n "$base" ]; then
    mapfile -t changed < <(git diff --name-only --diff-filter=d "$base" -- '*.cc' '*.h')
  else
    mapfile -t changed < <(git ls-files '*.cc' '*.h')  # a first commit: everything
  fi
fi
db=build/compile_commands.json
if [ ${#changed[@]} -gt 0 ] && [ ! -f "$db" ]; then
  tools/build.sh --configure || exit 1
fi
units=()
for f in "${changed[@]}"; do
  [ -f "$f" ] || continue
  case "$f" in
    *.cc) units+=("$f") ;;
    *.h)
      stem="${f%.h}"
      if [ -f "$stem.cc" ]; then
        units+=("$stem.cc")
      else
        inc="${f#engine/src/}"; inc="${inc#engine/include/}"; inc="${inc#tests/}"
        u=$(git grep -lF "#include \"$inc\"" -- '*.cc' | head -1)
        [ -n "$u" ] && units+=("$u")
      fi ;;
  esac
done
if [ ${#units[@]} -gt 0 ]; then
  mapfile -t units < <(printf '%s\n' "${units[@]}" | sort -u)
  start=$SECONDS
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
  # sh -c's $0 is the output folder, $1 the file xargs appends.
  printf '%s\0' "${units[@]}" | xargs -0 -n 1 -P "$JOBS" sh -c \
    'clang-tidy -p build --quiet "$1" >"$0/$(echo "$1" | tr / _).log" 2>&1' "$out"
  while IFS= read -r line; do
    problem "$line"
  done < <(cat "$out"/*.log 2>/dev/null | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' |
    sed -E "s|^$ROOT/||; s/,-warnings-as-errors\]/]/; s/: (warning|error): /: /" | sort -u)
  echo "lint: clang-tidy checked ${#units[@]} files in $((SECONDS - start)) s" >&2
fi

if [ "$problems" -gt 0 ]; then
  echo "lint: $problems problems" >&2
  exit 1
fi
echo "lint: clean" >&2
