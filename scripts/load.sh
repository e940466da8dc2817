#!/usr/bin/env bash
# Load test of `paperdex serve` with wrk (Debian's `wrk`): one-term searches over HTTP/1.1
# keep-alive, 32 connections for 30 s, on an index of 5,000 synthetic pages; then the same
# while `paperdex index` commits into the served index. Prints QPS, p50, p99 and errors
# per run. A measurement, not a test: .ci/run does not run it.
#
#   cargo build --release && scripts/load.sh [WORKDIR]
#
# Environment: PAPERDEX (the binary, default target/release/paperdex), CONNECTIONS (32),
# DURATION (30s), THREADS (wrk's threads, 2), PAGES (5000).
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${PAPERDEX:-target/release/paperdex}
work=${1:-/tmp/paperdex-load}
connections=${CONNECTIONS:-32}
duration=${DURATION:-30s}
threads=${THREADS:-2}
pages=${PAGES:-5000}
command -v wrk >/dev/null || { echo "error: wrk is not on PATH (apt-get install wrk)" >&2; exit 1; }
[ -x "$bin" ] || { echo "error: $bin is not built (cargo build --release)" >&2; exit 1; }

mkdir -p "$work"
if [ ! -e "$work/index/meta.json" ]; then
  rm -rf "$work/pages" "$work/index"
  "$bin" synth --pages "$pages" --out "$work/pages" 2>/dev/null
  "$bin" index "$work/pages" --index "$work/index" --quiet
fi

# The bench's own one-term queries: words drawn across the index's frequency ranking.
"$bin" bench --index "$work/index" --json --warmup 0 --iterations 1 --repeat 1 2>/dev/null >"$work/bench.json"
mapfile -t words < <(python3 -c '
import json, sys, urllib.parse
report = json.load(open(sys.argv[1]))
for c in report["classes"]:
    if c["class"] == "one_term":
        for line in c["drawn"]:
            print(urllib.parse.quote(line.split("\t")[1]))
' "$work/bench.json")
[ "${#words[@]}" -gt 0 ] || { echo "error: no one-term queries drawn" >&2; exit 1; }

lua="$work/one_term.lua"
{
  echo "local paths = {"
  for w in "${words[@]}"; do printf '  "/api/search?q=%s",\n' "$w"; done
  cat <<'LUA'
}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  local failed = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format("result: %d requests in %.1f s: %.0f QPS, p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms, errors %d (non-2xx %d)\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, failed, e.status))
end
LUA
} >"$lua"

"$bin" serve --index "$work/index" --addr 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.err" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q '^listening on ' "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/serve.out")
[ -n "$url" ] || { echo "error: the server did not start:" >&2; cat "$work/serve.err" >&2; exit 1; }

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1e6}' /proc/meminfo), $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
echo "index: $pages synthetic pages at $work/index; ${#words[@]} one-term queries: ${words[*]}"
echo "== one-term searches: wrk -t$threads -c$connections -d$duration (keep-alive)"
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$lua" "$url" | tee "$work/wrk-search.txt" | grep '^result:'

echo "== the same while \`paperdex index\` commits into the served index"
(
  # Three updates, 6 s apart, each changing 200 pages (an edit appended to each file):
  # each update replaces their records and commits, and the server follows the commit.
  mapfile -t edited < <(find "$work/pages" -name '*.md' | sort | head -n 200)
  for round in 1 2 3; do
    sleep 6
    for file in "${edited[@]}"; do printf '\nEdited in round %s of the load test.\n' "$round" >>"$file"; done
    "$bin" index "$work/pages" --index "$work/index" --quiet --threads 1 2>&1 | sed "s/^/  index (round $round): /"
  done
) &
writer=$!
wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$lua" "$url" | tee "$work/wrk-commits.txt" | grep '^result:'
wait "$writer"
grep -c 'error' "$work/serve.err" | sed 's/^/server errors logged: /' || true
