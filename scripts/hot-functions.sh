#!/usr/bin/env bash
# Writes build/hot-functions.txt: the functions of the `paperdex` executable that a
# `paperdex search` process runs, from start to exit, for the kinds of searches a user
# types (one word, two, OR, a phrase, a prefix, a typo, filters, facets, browsing, date
# order, pages grouped, human and JSON output). Release builds link them side by side
# (build.rs), so such a process maps a few hundred KB of code instead of touching some
# eighty 64 KB stretches of it, one page fault each.
#
#   cargo build --release && scripts/hot-functions.sh [WORKDIR]
#
# Needs valgrind (Debian's `valgrind`): callgrind lists every function a process ran.
# Rerun after changes that rename or add much code: a name the build no longer has is
# skipped, and a function missing from the list is only placed among the others.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${PAPERDEX:-target/release/paperdex}
work=${1:-/tmp/paperdex-hot}
command -v valgrind >/dev/null || { echo "error: valgrind is not on PATH (apt-get install valgrind)" >&2; exit 1; }
[ -x "$bin" ] || { echo "error: $bin is not built (cargo build --release)" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work/out"
"$bin" synth --pages 300 --out "$work/pages" 2>/dev/null
"$bin" index "$work/pages" --index "$work/index" --quiet

run() {
  valgrind --tool=callgrind --demangle=no --dump-instr=no --compress-strings=no \
    --callgrind-out-file="$work/out/cg.%p" "$bin" "$@" >/dev/null 2>&1 || true
}
ix=(--index "$work/index")
run --version
for output in --json ""; do
  run search "${ix[@]}" $output video
  run search "${ix[@]}" $output --kind page model
  run search "${ix[@]}" $output video generation
  run search "${ix[@]}" $output 'video OR audio'
  run search "${ix[@]}" $output '"video generation"'
  run search "${ix[@]}" $output 'gen*'
  run search "${ix[@]}" $output --fuzzy vidoe
  run search "${ix[@]}" $output --kind caption --facet category --facet date learning
  run search "${ix[@]}" $output --facet category --facet kind
  run search "${ix[@]}" $output --sort date model
  run search "${ix[@]}" $output --group page diffusion
  run search "${ix[@]}" $output --filter 'lang=en' -n 5 reasoning
done

# Every function callgrind saw run in the executable, in the executable's own order.
python3 - "$bin" "$work/out" > build/hot-functions.txt <<'PY'
import glob, os, subprocess, sys
exe, out = os.path.realpath(sys.argv[1]), sys.argv[2]
ran, obj = set(), None
for path in glob.glob(os.path.join(out, "cg.*")):
    for line in open(path, errors="replace"):
        if line.startswith("ob="):
            obj = os.path.realpath(line[3:].strip())
        elif line.startswith("fn=") and obj == exe:
            ran.add(line[3:].strip().split("'")[0])
symbols = subprocess.run(["nm", "--defined-only", exe], capture_output=True, text=True, check=True).stdout
at = {}
for line in symbols.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] in "tTwW" and parts[2] in ran:
        at.setdefault(parts[2], int(parts[0], 16))
for name in sorted(at, key=at.get):
    print(name)
PY
echo "build/hot-functions.txt: $(wc -l < build/hot-functions.txt) functions" >&2
