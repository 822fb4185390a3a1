#!/bin/bash
# Instructions per request of an in-process probe under valgrind's callgrind, warm-up
# uninstrumented:
#
#   bash benchmarks/src/callgrind-probe.sh <probe.ts> <variant>...   (from the repo root, after pnpm build)
#
# e.g. `bash benchmarks/src/callgrind-probe.sh benchmarks/src/_proxy-overhead.ts undici-stream sy-fastify`
# or   `bash benchmarks/src/callgrind-probe.sh benchmarks/src/_adapter-overhead.ts bare rate-limit decide`.
# Env: WARMUP (default 10000 requests), N (counted requests, default 4000), SPLIT=1 (the
# _proxy-overhead and _adapter-overhead probes: origins and client in a child process that
# valgrind does not trace, so the count is the server's alone; compare variants at one N).
# The probe is bundled with esbuild (the built packages and their dependencies inlined) to
# benchmarks/.probe-<name>.mjs, run with CALLGRIND=1 so it switches instrumentation on around the
# counted requests only (callgrind_control -i on/off). Node runs with --no-flush-bytecode and
# --no-memory-reducer: valgrind makes everything ~50x slower, so time-driven bytecode flushing
# and memory-reducer GCs would otherwise recompile code inside the counted window (±20 % noise).
# --hash-seed and --random-seed fix V8's per-process random seeds: with a random hash seed, Map
# and string-table probe lengths and the heap layout differ per run, and the same bundle gave
# 20 692 and 22 250 instructions per request in two runs; seeded, 20 575 and 20 578.
# --min/--max-semi-space-size=16 pin the young generation: V8 grows it with the allocation
# rate, so the number of scavenges (each scanning the GC roots) inside the counted window, and
# with it the count, otherwise varies with how much the code allocated before the window.
set -euo pipefail
probe=$1
shift
source "$(dirname "$0")/probe-bundle.sh"
out=$(bundle_probe "$probe")
for variant in "$@"; do
  ir=$(CALLGRIND=1 WARMUP=${WARMUP:-10000} valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file=/dev/null \
    node --single-threaded --no-flush-bytecode --no-memory-reducer --hash-seed=1 --random-seed=1 --min-semi-space-size=16 --max-semi-space-size=16 "$out" "$variant" "${N:-4000}" 2>&1 |
    grep -oE 'refs: +[0-9,]+' | tr -d ', refs:')
  echo "$variant: $(( ir / ${N:-4000} )) instructions per request"
done
