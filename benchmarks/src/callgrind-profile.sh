#!/bin/bash
# Where a probe's instructions go, function by function (JIT code named through V8's perf map):
#
#   bash benchmarks/src/callgrind-profile.sh <probe.ts> <variant> [rows]   (repo root, after pnpm build)
#
# e.g. `SPLIT=1 bash benchmarks/src/callgrind-profile.sh benchmarks/src/_adapter-overhead.ts decide-quiet`
# or   `bash benchmarks/src/callgrind-profile.sh benchmarks/src/_gateway-hotpath.ts decideNow`.
# Same bundle, flags and counted window as callgrind-probe.sh (env WARMUP, N, SPLIT), plus
# `--perf-basic-prof`; compare two variants' tables to see where a difference comes from.
set -euo pipefail
probe=$1
variant=$2
rows=${3:-30}
source "$(dirname "$0")/probe-bundle.sh"
out=$(bundle_probe "$probe")
cg=$(mktemp)
CALLGRIND=1 WARMUP=${WARMUP:-10000} valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$cg" \
  node --perf-basic-prof --single-threaded --no-flush-bytecode --no-memory-reducer --hash-seed=1 --random-seed=1 --min-semi-space-size=16 --max-semi-space-size=16 "$out" "$variant" "${N:-4000}" >/dev/null 2>&1
pid=$(grep -m1 '^pid:' "$cg" | cut -d' ' -f2)
node benchmarks/src/callgrind-functions.mjs "$cg" "/tmp/perf-$pid.map" "${N:-4000}" "$rows"
rm -f "$cg" "/tmp/perf-$pid.map"
