/**
 * `pnpm bench proxy`: HTTP proxy throughput and latency, switchyard against the proxies users
 * install today, in one run, on loopback (issue #10; method in
 * /work/shared/references/benchmarks.md "How to measure").
 *
 * Every server is its own process: one origin process holding two instances (so the two-origin
 * balancing of switchyard costs no extra CPU share), and one process per contender, started,
 * checked (status 200 and the origin's exact body), warmed up 3 s, measured with autocannon
 * (`-c 50`, 6 s by default), then asked for its RSS and open handles from inside, and killed.
 * The direct hit on the origin and a bare undici `Pool` proxy are the anchors.
 *
 * A second group measures decide-only mode: the same Fastify (and Express) app answering
 * locally, bare, with the peers' rate limiter, and with switchyard's decide mode; overhead per
 * request is `1/rps - 1/rps(bare)`.
 *
 * Environment: `PROXY_RUNS=3` repeats the whole list (interleaved) and records medians;
 * `PROXY_MEASURE_S`, `PROXY_WARMUP_S`, `PROXY_ONLY=a,b` for quick looks.
 */
import autocannon, { type AutocannonResult } from 'autocannon';
import { request } from 'undici';
import { round, writeResults, type CaseResult } from './harness.js';
import { startServer, type ProcessStats, type ServerProcess } from './proxy/process.js';
import { BENCH_PATH, LOCAL_BODY, ORIGIN_BODY } from './proxy/shared.js';

const CONNECTIONS = 50;
const WARMUP_S = Number(process.env['PROXY_WARMUP_S'] ?? 3);
const MEASURE_S = Number(process.env['PROXY_MEASURE_S'] ?? 6);
const RUNS = Number(process.env['PROXY_RUNS'] ?? 1);
const ONLY = process.env['PROXY_ONLY']?.split(',');

const PROXY_CASE = `proxy GET ${BENCH_PATH.split('?')[0]} (c=${CONNECTIONS})`;
const FASTIFY_DECIDE_CASE = 'decide-only overhead, Fastify app answering locally';
const EXPRESS_DECIDE_CASE = 'decide-only overhead, Express app answering locally';
const ADAPTER_MISSING = 'adapter not available in this run';
/** What switchyard's limiter adds to a response (IETF RateLimit draft). */
const SY_LIMIT_HEADER = 'ratelimit-policy';

interface Contender {
  readonly case: string;
  readonly impl: string;
  /** contender.ts name; undefined for the direct hit. */
  readonly script?: string;
  /** Which @switchyard adapter it needs, if any. */
  readonly adapter?: 'express' | 'fastify' | 'hono';
  /** A response header proving the limiter ran (decide-only group). */
  readonly header?: string;
}

const CONTENDERS: readonly Contender[] = [
  { case: PROXY_CASE, impl: 'direct (no proxy)' },
  { case: PROXY_CASE, impl: 'undici Pool proxy (floor)', script: 'undici-pool' },
  { case: PROXY_CASE, impl: 'undici Pool.stream proxy', script: 'undici-stream' },
  { case: PROXY_CASE, impl: '@fastify/http-proxy (Fastify 5)', script: 'fastify-http-proxy' },
  { case: PROXY_CASE, impl: 'http-proxy-middleware 3 (Express 5)', script: 'express-hpm' },
  { case: PROXY_CASE, impl: 'hono proxy() (@hono/node-server)', script: 'hono-proxy' },
  { case: PROXY_CASE, impl: 'switchyard node:http bridge', script: 'sy-node' },
  { case: PROXY_CASE, impl: 'switchyard @switchyard/fastify', script: 'sy-fastify', adapter: 'fastify' },
  { case: PROXY_CASE, impl: 'switchyard @switchyard/fastify + RateLimit headers (both)', script: 'sy-fastify-headers', adapter: 'fastify', header: SY_LIMIT_HEADER },
  { case: PROXY_CASE, impl: 'switchyard @switchyard/express', script: 'sy-express', adapter: 'express' },
  { case: PROXY_CASE, impl: 'switchyard @switchyard/hono', script: 'sy-hono', adapter: 'hono' },
  { case: FASTIFY_DECIDE_CASE, impl: 'fastify (no limiter)', script: 'fastify-bare' },
  { case: FASTIFY_DECIDE_CASE, impl: '@fastify/rate-limit', script: 'fastify-rate-limit', header: 'x-ratelimit-remaining' },
  { case: FASTIFY_DECIDE_CASE, impl: 'switchyard @switchyard/fastify decide', script: 'sy-fastify-decide', adapter: 'fastify', header: 'x-ratelimit-remaining' },
  { case: EXPRESS_DECIDE_CASE, impl: 'express (no limiter)', script: 'express-bare' },
  { case: EXPRESS_DECIDE_CASE, impl: 'express-rate-limit', script: 'express-rate-limit', header: 'ratelimit' },
  { case: EXPRESS_DECIDE_CASE, impl: 'switchyard @switchyard/express decide', script: 'sy-express-decide', adapter: 'express', header: SY_LIMIT_HEADER },
];

interface Measurement {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  readonly rssMb: number | undefined;
  readonly handles: number | undefined;
  readonly cpuUsPerRequest: number | undefined;
}

type Outcome = { readonly kind: 'measured'; readonly m: Measurement } | { readonly kind: 'skipped'; readonly reason: string };

async function adapterAvailable(adapter: 'express' | 'fastify' | 'hono'): Promise<boolean> {
  try {
    const mod = (await import(`@switchyard/${adapter}`)) as Record<string, unknown>;
    return Object.values(mod).some((v) => typeof v === 'function');
  } catch {
    return false;
  }
}

/**
 * The contender must answer the expected body (the origin's for proxies, the app's own for the
 * decide-only group) and, where it limits, the limiter's header, before it is timed.
 */
async function verify(c: Contender, url: string): Promise<void> {
  const expected = c.case === PROXY_CASE ? ORIGIN_BODY : LOCAL_BODY;
  for (let i = 0; i < 3; i++) {
    const res = await request(url);
    const text = await res.body.text();
    if (res.statusCode !== 200 || text !== expected) throw new Error(`GET ${url} answered ${res.statusCode} ${text.slice(0, 200)}`);
    if (c.header !== undefined && res.headers[c.header] === undefined) throw new Error(`GET ${url}: no ${c.header} header (${Object.keys(res.headers).join(', ')})`);
  }
}

async function load(url: string, durationS: number): Promise<AutocannonResult> {
  return autocannon({ url, connections: CONNECTIONS, duration: durationS, timeout: 10 });
}

async function measure(c: Contender, origins: readonly string[], originProcess: ServerProcess): Promise<Outcome> {
  if (c.adapter !== undefined && !(await adapterAvailable(c.adapter))) return { kind: 'skipped', reason: ADAPTER_MISSING };
  let server: ServerProcess | undefined;
  try {
    if (c.script !== undefined) server = await startServer('./contender.ts', [c.script, ...origins]);
    const url = `http://127.0.0.1:${server?.port ?? originProcess.port}${BENCH_PATH}`;
    await verify(c, url);
    await load(url, WARMUP_S);
    const before: ProcessStats = await (server ?? originProcess).stats();
    const r = await load(url, MEASURE_S);
    const stats: ProcessStats = await (server ?? originProcess).stats();
    // CPU per request inside the server process: far steadier than req/s on a shared machine.
    const cpuUsPerRequest = r.requests.total > 0 ? round((stats.cpuMicros - before.cpuMicros) / r.requests.total, 1) : undefined;
    return {
      kind: 'measured',
      m: {
        rps: round(r.requests.average, 0),
        p50Ms: r.latency.p50,
        p99Ms: r.latency.p99,
        errors: r.errors + r.timeouts + r.non2xx,
        rssMb: round(stats.rss / 2 ** 20, 1),
        handles: stats.handles,
        cpuUsPerRequest,
      },
    };
  } catch (err) {
    const reason = `failed: ${String(err)}`;
    console.error(`  ${c.impl}: ${reason}`);
    return { kind: 'skipped', reason };
  } finally {
    await server?.stop();
  }
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function summarize(c: Contender, outcomes: readonly Outcome[]): CaseResult {
  const ms = outcomes.flatMap((o) => (o.kind === 'measured' ? [o.m] : []));
  if (ms.length === 0) {
    const reason = outcomes.find((o) => o.kind === 'skipped')?.reason ?? 'not run';
    return { case: c.case, impl: c.impl, skipped: reason };
  }
  const pick = (f: (m: Measurement) => number | undefined): number => median(ms.map(f).filter((x): x is number => x !== undefined));
  return {
    case: c.case,
    impl: c.impl,
    rps: pick((m) => m.rps),
    p50Ms: pick((m) => m.p50Ms),
    p99Ms: pick((m) => m.p99Ms),
    errors: ms.reduce((a, m) => a + m.errors, 0),
    rssMb: pick((m) => m.rssMb),
    handles: pick((m) => m.handles),
    cpuUsPerRequest: pick((m) => m.cpuUsPerRequest),
    runs: ms.length,
    ...(ms.length > 1 ? { rpsPerRun: ms.map((m) => m.rps), p99MsPerRun: ms.map((m) => m.p99Ms) } : {}),
  };
}

const num = (row: CaseResult | undefined, key: 'rps' | 'p99Ms' | 'p50Ms' | 'cpuUsPerRequest'): number | undefined => {
  const v = row?.[key];
  return typeof v === 'number' && v > 0 ? v : undefined;
};

/** The targets, as ratios (undefined when a side did not run). */
function ratios(rows: readonly CaseResult[]): string[] {
  const find = (impl: string): CaseResult | undefined => rows.find((r) => r.impl === impl);
  const out: string[] = [];
  const line = (label: string, a: number | undefined, b: number | undefined, target: string, ok: (x: number) => boolean, pct = false): void => {
    if (a === undefined || b === undefined) {
      out.push(`${label}: not measured in this run (${target})`);
      return;
    }
    const x = a / b;
    const shown = pct ? `${x >= 1 ? '+' : ''}${round((x - 1) * 100, 1)}%` : `${round(x, 2)}x`;
    out.push(`${label}: ${shown} (target ${target}: ${ok(x) ? 'met' : 'NOT met'})`);
  };
  const floor = find('undici Pool proxy (floor)');
  const fhp = find('@fastify/http-proxy (Fastify 5)');
  const streamFloor = find('undici Pool.stream proxy');
  for (const [label, impl] of [
    ['switchyard on Fastify', 'switchyard @switchyard/fastify'],
    ['switchyard on Fastify with RateLimit headers', 'switchyard @switchyard/fastify + RateLimit headers (both)'],
    ['switchyard on node:http (bridge)', 'switchyard node:http bridge'],
    ['switchyard on Express', 'switchyard @switchyard/express'],
    ['switchyard on Hono', 'switchyard @switchyard/hono'],
  ] as const) {
    const sy = find(impl);
    line(`${label} rps / @fastify/http-proxy rps`, num(sy, 'rps'), num(fhp, 'rps'), '>= 1.3x', (x) => x >= 1.3);
    line(`${label} rps / bare undici Pool rps`, num(sy, 'rps'), num(floor, 'rps'), '>= 0.9x', (x) => x >= 0.9);
    line(`${label} p99 vs bare undici Pool p99`, num(sy, 'p99Ms'), num(floor, 'p99Ms'), '<= +20%', (x) => x <= 1.2, true);
    line(`${label} rps / undici Pool.stream rps`, num(sy, 'rps'), num(streamFloor, 'rps'), 'informative', () => true);
    line(`${label} CPU per request / @fastify/http-proxy's`, num(sy, 'cpuUsPerRequest'), num(fhp, 'cpuUsPerRequest'), 'informative', () => true);
    line(`${label} CPU per request / bare undici Pool's`, num(sy, 'cpuUsPerRequest'), num(floor, 'cpuUsPerRequest'), 'informative', () => true);
  }
  const hpm = find('http-proxy-middleware 3 (Express 5)');
  line('switchyard on Express rps / http-proxy-middleware rps', num(find('switchyard @switchyard/express'), 'rps'), num(hpm, 'rps'), 'informative', () => true);
  line('switchyard on Hono rps / hono proxy() rps', num(find('switchyard @switchyard/hono'), 'rps'), num(find('hono proxy() (@hono/node-server)'), 'rps'), 'informative', () => true);

  for (const [label, bare, peer, ours] of [
    ['Fastify', 'fastify (no limiter)', '@fastify/rate-limit', 'switchyard @switchyard/fastify decide'],
    ['Express', 'express (no limiter)', 'express-rate-limit', 'switchyard @switchyard/express decide'],
  ] as const) {
    const b = num(find(bare), 'rps');
    const p = num(find(peer), 'rps');
    const s = num(find(ours), 'rps');
    if (b === undefined || p === undefined || s === undefined) {
      out.push(`${label} decide-only overhead vs ${peer}: not measured in this run (target <= 0.5x)`);
      continue;
    }
    const over = (rps: number): number => 1e6 / rps - 1e6 / b;
    const po = over(p);
    const so = over(s);
    const verdict = po <= 0 ? 'peer overhead below noise, ratio undefined' : `${round(so / po, 2)}x (target <= 0.5x: ${so / po <= 0.5 ? 'met' : 'NOT met'})`;
    out.push(`${label} decide-only overhead per request (from req/s): switchyard ${round(so, 1)} us, ${peer} ${round(po, 1)} us -> ${verdict}`);
    const bc = num(find(bare), 'cpuUsPerRequest');
    const pc = num(find(peer), 'cpuUsPerRequest');
    const sc = num(find(ours), 'cpuUsPerRequest');
    if (bc !== undefined && pc !== undefined && sc !== undefined) {
      const cpuPeer = pc - bc;
      const cpuOurs = sc - bc;
      const cpuVerdict = cpuPeer <= 0 ? 'peer overhead below noise, ratio undefined' : `${round(cpuOurs / cpuPeer, 2)}x (target <= 0.5x: ${cpuOurs / cpuPeer <= 0.5 ? 'met' : 'NOT met'})`;
      out.push(`${label} decide-only overhead per request (server CPU): switchyard ${round(cpuOurs, 1)} us, ${peer} ${round(cpuPeer, 1)} us -> ${cpuVerdict}`);
    }
  }
  return out;
}

export default async function proxySuite(): Promise<void> {
  const originProcess = await startServer('./origin.ts', ['--count', '2']);
  const origins = originProcess.ports.map((p) => `http://127.0.0.1:${p}`);
  const list = CONTENDERS.filter((c) => ONLY === undefined || ONLY.some((o) => c.script === o || (o === 'direct' && c.script === undefined)));
  const outcomes = new Map<Contender, Outcome[]>(list.map((c) => [c, []]));
  try {
    for (let run = 1; run <= RUNS; run++) {
      console.log(`\nrun ${run}/${RUNS}: ${WARMUP_S} s warm-up + ${MEASURE_S} s at c=${CONNECTIONS} per contender`);
      for (const c of list) {
        const o = await measure(c, origins, originProcess);
        outcomes.get(c)!.push(o);
        console.log(
          o.kind === 'measured'
            ? `  ${c.impl.padEnd(40)} ${String(o.m.rps).padStart(7)} rps  p50 ${o.m.p50Ms} ms  p99 ${o.m.p99Ms} ms  errors ${o.m.errors}  rss ${o.m.rssMb} MB  handles ${o.m.handles}  cpu ${o.m.cpuUsPerRequest} us/req`
            : `  ${c.impl.padEnd(40)} skipped: ${o.reason}`,
        );
      }
    }
  } finally {
    await originProcess.stop();
  }
  const rows = list.map((c) => summarize(c, outcomes.get(c)!));
  const notes = [
    `autocannon -c ${CONNECTIONS}, ${WARMUP_S} s warm-up + ${MEASURE_S} s measured per contender, ${RUNS} run(s), medians; loopback; origin, proxy and load generator in separate processes on ${(await import('node:os')).availableParallelism()} cores`,
    'peers proxy to origin instance 1; switchyard routes (PathPrefix), applies a per-client-IP token bucket that never limits, and balances least-request P2C over both instances of the same origin process',
    'rssMb and handles: read inside the proxy process right after its measured run (direct: the origin process)',
    ...ratios(rows),
  ];
  writeResults('proxy', rows, notes);
  console.log('');
  for (const n of notes) console.log(n);
}
