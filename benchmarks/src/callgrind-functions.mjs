// Self instructions per function from a callgrind output file, with V8's JIT code named through
// the perf map `node --perf-basic-prof` writes (/tmp/perf-<pid>.map). Callgrind cannot name JIT
// code itself: it labels it by address, and this maps each address into the map's ranges.
//
//   node benchmarks/src/callgrind-functions.mjs <callgrind.out> <perf-<pid>.map> <requests> [rows]
//
// Used by callgrind-profile.sh; prints instructions per request for the top `rows` functions.
import { readFileSync } from 'node:fs';

const [outFile, mapFile, requestsArg, rowsArg] = process.argv.slice(2);
if (outFile === undefined || mapFile === undefined) {
  console.error('usage: callgrind-functions.mjs <callgrind.out> <perf map> <requests> [rows]');
  process.exit(2);
}
const requests = Number(requestsArg ?? 1);
const ranges = readFileSync(mapFile, 'utf8')
  .trim()
  .split('\n')
  .map((line) => /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line))
  .filter((m) => m !== null)
  .map((m) => [parseInt(m[1], 16), parseInt(m[2], 16), m[3]])
  .sort((a, b) => a[0] - b[0]);

function jitName(address) {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid][0] <= address) lo = mid + 1;
    else hi = mid - 1;
  }
  const r = ranges[hi];
  return r !== undefined && address < r[0] + r[1] ? r[2] : undefined;
}

// Callgrind's format: `fn=(id) name` starts a function's cost lines (later `fn=(id)` reuses the
// name); `calls=` lines are followed by one line of inclusive cost that is not the caller's own.
const names = new Map();
const self = new Map();
let current;
let skipNext = false;
for (const line of readFileSync(outFile, 'utf8').split('\n')) {
  const fn = /^fn=\((\d+)\)(?: (.*))?$/.exec(line);
  if (fn !== null) {
    if (fn[2] !== undefined) names.set(fn[1], fn[2]);
    current = names.get(fn[1]);
    skipNext = false;
    continue;
  }
  const cfn = /^cfn=\((\d+)\) (.*)$/.exec(line);
  if (cfn !== null) names.set(cfn[1], cfn[2]);
  if (line.startsWith('calls=')) {
    skipNext = true;
    continue;
  }
  if (/^(0x[0-9a-f]+|[+-]?\d+|\*)\s+\d+/.test(line)) {
    if (skipNext) {
      skipNext = false;
      continue;
    }
    if (current !== undefined) self.set(current, (self.get(current) ?? 0) + Number(line.split(/\s+/)[1]));
  }
}

const byName = new Map();
let total = 0;
for (const [name, cost] of self) {
  const hex = /^0x([0-9a-f]+)$/.exec(name);
  const key = hex !== null ? (jitName(parseInt(hex[1], 16)) ?? 'JIT (unnamed)') : name;
  byName.set(key, (byName.get(key) ?? 0) + cost);
  total += cost;
}
console.log(`${Math.round(total / requests)} instructions per request in all`);
for (const [name, cost] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, Number(rowsArg ?? 30))) {
  console.log(`${String(Math.round(cost / requests)).padStart(8)}  ${name.replace(/file:\/\/\S*\/(\.probe-[^:]+)/, '$1').slice(0, 140)}`);
}
