/**
 * `pnpm demo`: a live switchyard gateway in front of local upstreams, driven with bounded
 * traffic, ending with a report. Everything listens on 127.0.0.1 and stops by itself.
 *
 * The story: catalog v1 runs on four instances and v2 (two instances) is rolled out
 * progressively to a share of users (sticky by user id), judged by the canary analysis at each
 * step. Meanwhile one v1 instance answers 503 while its health check still passes (outlier
 * detection ejects it, retries hide its failures), another turns 100× slower (Peak EWMA routes
 * around it), and an orders instance fails its health check while still serving (the active
 * check takes it out). Free API keys hit their rate limit; pro keys don't. Orders are reached through a
 * rewrite. The demo then checks its headline claims against what it recorded (`claims.ts`)
 * and prints only those that hold; a claim that does not hold goes to stderr and exits 1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { clientAbortSignal, createGateway, fromNodeRequest, writeNodeResponse, type Gateway, type GatewayConfig } from '@switchyard/gateway';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { checkClaims, type LogEntry, type Scenario } from './claims.js';
import { printConclusions, printReport } from './report.js';
import { drive, USERS } from './traffic.js';
import { startUpstreams, stopAll, type UpstreamSpec } from './upstreams.js';

const DURATION_MS = Number(process.env['DEMO_DURATION_MS'] ?? 24_000);
// 100 req/s: about 15 % of a core here; a machine shared by many busy processes may give the
// demo less than that, and a starved event loop's queueing delay is what every latency below
// then measures.
const RATE = Number(process.env['DEMO_RATE'] ?? 100);
/** Every scheduled time scales with the duration (the story of 24 s, told in 12 s by the test). */
const scale = DURATION_MS / 24_000;
const at = (seconds: number): number => Math.round(seconds * 1000 * scale);

/**
 * `DEMO_SABOTAGE=canary|outlier-detection|health-check` (comma-separated) breaks the scenario on
 * purpose, to see the demo refuse a claim and exit 1: a canary that answers 503 to half its
 * requests, an upstream group without outlier detection, or one without active health checks.
 */
const SABOTAGES = ['canary', 'outlier-detection', 'health-check'] as const;
type Sabotage = (typeof SABOTAGES)[number];
const sabotage = new Set<Sabotage>();
for (const s of (process.env['DEMO_SABOTAGE'] ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '')) {
  if (!(SABOTAGES as readonly string[]).includes(s)) {
    console.error(`DEMO_SABOTAGE: unknown ${JSON.stringify(s)} (one or more of ${SABOTAGES.join(', ')}, comma-separated)`);
    process.exit(2);
  }
  sabotage.add(s as Sabotage);
}

// 10 % first, not 5 %: a check that finds no canary request at all fails (Flagger: "no values
// found"), and a starved machine may send only a few dozen requests in the first interval.
const STEPS = [10, 25, 50, 100];
const WARMUP_MS = 2_000;
// Requests in flight at most: on a starved machine the generator skips slots instead of piling
// up requests whose queueing delay would be all that the latencies measure.
const MAX_IN_FLIGHT = 32;
const LIMITS = { free: { burst: 10, perSecond: 2 }, pro: { burst: 400, perSecond: 200 } } as const;
const SCENARIO: Scenario = {
  durationMs: DURATION_MS,
  warmupMs: WARMUP_MS,
  rollout: { route: 'catalog', canary: 'v2', baseline: 'v1', steps: STEPS },
  users: USERS,
  // Over before its first ejection (at least `baseEjectionTimeMs` = 4 s) can end: one ejection.
  grayFailure: { id: 'catalog-v1-b', fromMs: at(2), toMs: at(5) },
  // While v1 still takes most of the traffic (the rollout reaches 100 % at 12 s at the earliest).
  slow: { id: 'catalog-v1-c', fromMs: at(6), toMs: at(11), factor: 100 },
  // On orders, which the rollout leaves alone: it has traffic before, during and after.
  drain: { id: 'orders-2', fromMs: at(10), toMs: at(14) },
  baselineIds: ['catalog-v1-a', 'catalog-v1-b', 'catalog-v1-c', 'catalog-v1-d'],
  limits: LIMITS,
};

const flaky = sabotage.has('canary') ? [{ fromMs: 0, toMs: Number.POSITIVE_INFINITY, kind: 'flaky' as const, failRatio: 0.5 }] : [];
// Latencies of tens of ms; the slow instance's 2 s stand out of a starved machine's queueing
// delay (half a second and more at a load average of 30 on two cores).
const SPECS: UpstreamSpec[] = [
  { id: 'catalog-v1-a', service: 'catalog', version: 'v1', latencyMs: 20 },
  { id: 'catalog-v1-b', service: 'catalog', version: 'v1', latencyMs: 20, phases: [{ ...SCENARIO.grayFailure, kind: 'fail' }] },
  { id: 'catalog-v1-c', service: 'catalog', version: 'v1', latencyMs: 20, phases: [{ ...SCENARIO.slow, kind: 'slow' }] },
  { id: 'catalog-v1-d', service: 'catalog', version: 'v1', latencyMs: 20 },
  { id: 'catalog-v2-a', service: 'catalog', version: 'v2', latencyMs: 15, phases: flaky },
  { id: 'catalog-v2-b', service: 'catalog', version: 'v2', latencyMs: 15, phases: flaky },
  { id: 'orders-1', service: 'orders', version: 'v1', latencyMs: 10 },
  { id: 'orders-2', service: 'orders', version: 'v1', latencyMs: 10, phases: [{ ...SCENARIO.drain, kind: 'drain' }] },
];

function config(urls: Map<string, string>): GatewayConfig {
  const endpoint = (id: string, version: string) => ({ id, url: urls.get(id) as string, metadata: { version } });
  const step = at(4);
  const intervalMs = at(1);
  // Timeouts far above any latency here: on a starved machine a timer can fire after a stall
  // before the response that arrived meanwhile is read, and a spurious timeout would count as
  // an upstream failure (504) for outlier detection and the rollout analysis.
  const healthCheck = { path: '/healthz', intervalMs, timeoutMs: 5_000, unhealthyThreshold: 2, healthyThreshold: 2 };
  return {
    selection: 'gateway',
    limits: {
      // Auth put the tier on the request (attributes.tier); limits are per API key.
      'per-api-key': {
        key: { apiKey: 'x-api-key' },
        tiers: {
          attribute: 'tier',
          default: 'free',
          policies: {
            free: { maxTokens: LIMITS.free.burst, tokensPerFill: LIMITS.free.perSecond, fillIntervalMs: 1_000 },
            pro: { maxTokens: LIMITS.pro.burst, tokensPerFill: LIMITS.pro.perSecond, fillIntervalMs: 1_000 },
          },
        },
      },
    },
    routes: [
      {
        name: 'catalog-pinned-v2',
        matches: [{ path: { type: 'PathPrefix', value: '/api/catalog' }, headers: [{ name: 'x-debug-version', value: 'v2' }] }],
        backends: [{ name: 'v2', upstream: 'catalog', subset: { version: 'v2' } }],
        rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/catalog' } },
        limits: ['per-api-key'],
      },
      {
        name: 'catalog',
        matches: [{ path: { type: 'PathPrefix', value: '/api/catalog' } }],
        backends: [
          { name: 'v1', upstream: 'catalog', subset: { version: 'v1' }, weight: 100 },
          { name: 'v2', upstream: 'catalog', subset: { version: 'v2' }, weight: 0 },
        ],
        split: { key: { header: 'x-user-id' } },
        rollout: {
          name: 'catalog-v2',
          canary: 'v2',
          baseline: 'v1',
          steps: STEPS,
          bakeTimeMs: step,
          analysisIntervalMs: step,
          // A 5 % step sees a dozen or two canary responses per check: enough for the error-rate
          // test and a p90, not for a p99 (whose default minimum of 500 samples would hold the
          // step for minutes). Latency is judged with a +100 % margin: on a machine shared by
          // busy processes the gateway's own queueing delay (hundreds of ms, bursty) dominates
          // every latency here, and swings the two sides apart by chance. A canary that fails
          // half its requests is still rolled back at its first check, on its error rate.
          minRequests: 10,
          minLatencySamples: 10,
          latencyQuantile: 0.9,
          maxP99IncreasePercent: 100,
        },
        rewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/catalog' }, forwarded: { mode: 'append' } },
        limits: ['per-api-key'],
        timeoutMs: 10_000,
        perTryTimeoutMs: 3_000,
        retry: { numRetries: 2, retryOn: ['gateway-error', 'connect-failure', 'reset'], budget: { ratio: 0.2, minRetriesPerSecond: 20 } },
      },
      {
        name: 'orders',
        matches: [{ path: { type: 'Template', value: '/api/orders/:id' } }],
        backends: [{ upstream: 'orders' }],
        rewrite: { path: { type: 'Template', template: '/orders/${params.id}' } },
        limits: ['per-api-key'],
        timeoutMs: 10_000,
        retry: { numRetries: 1 },
      },
    ],
    upstreams: {
      catalog: {
        endpoints: SCENARIO.baselineIds.map((id) => endpoint(id, 'v1')).concat([endpoint('catalog-v2-a', 'v2'), endpoint('catalog-v2-b', 'v2')]),
        balancer: { policy: 'peak-ewma', decayTimeMs: 2_000 },
        // Envoy's default allows 3 retries in flight per upstream group (circuit breaker
        // `max_retries`), against retry storms; when one of four instances starts failing at
        // 100 req/s (more in flight on a loaded machine), its 503s need more than 3 at once.
        resourceLimits: { maxRetries: 25 },
        ...(sabotage.has('health-check') ? {} : { healthCheck }),
        ...(sabotage.has('outlier-detection')
          ? {}
          : {
              outlierDetection: {
                consecutive5xx: 5,
                intervalMs,
                baseEjectionTimeMs: at(4),
                maxEjectionPercent: 50,
                // Envoy's default un-ejects a host as soon as an active health check passes; the
                // gray failure's /healthz keeps passing, so the ejection would last one check
                // interval. Off: it lasts its ejection time, as for a host without active checks
                // (`successful_active_health_check_uneject_host`, Envoy's outlier_detection.proto).
                successfulActiveHealthCheckUnejectHost: false,
              },
            }),
      },
      orders: {
        endpoints: [endpoint('orders-1', 'v1'), endpoint('orders-2', 'v1')],
        balancer: { policy: 'least-request' },
        ...(sabotage.has('health-check') ? {} : { healthCheck }),
      },
    },
  };
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(1)}s`;

/** A line for the events worth watching live (rollout steps, ejections, health transitions). */
function describe(entry: LogEntry): string | undefined {
  if (entry.kind === 'rollout') {
    const e = entry.event;
    // `held` and `inconclusive` reasons start with what happened ("held at 10%: …").
    return `rollout   ${e.type === 'held' || e.type === 'inconclusive' ? e.reason : `${e.type} ${e.fromPercent}% → ${e.toPercent}%: ${e.reason}`}`;
  }
  if (entry.kind !== 'health') return undefined;
  const h = entry.event;
  if (!('endpointId' in h)) return undefined;
  const who = `${entry.upstream}/${h.endpointId}`;
  switch (h.kind) {
    case 'ejected':
      return `outlier   ${who} ejected by ${h.detector} for ${(h.ejectionTimeMs / 1000).toFixed(1)} s`;
    case 'unejected':
      return `outlier   ${who} back after ${(h.ejectedForMs / 1000).toFixed(1)} s (${h.cause})`;
    case 'unhealthy':
      return h.firstCheck ? undefined : `health    ${who} unhealthy (active check: ${h.reason})`;
    case 'healthy':
      return h.firstCheck ? undefined : `health    ${who} healthy again (active check)`;
    default:
      return undefined;
  }
}

/** Serves `gateway` on 127.0.0.1 as a Node app would, the API key resolved to a tier first. */
async function serve(gateway: Gateway): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    // What an auth layer would do: resolve the API key to a tier.
    const key = req.headers['x-api-key'];
    const tier = typeof key === 'string' && key.startsWith('pro-') ? 'pro' : 'free';
    const signal = clientAbortSignal(res);
    void gateway
      .handle(fromNodeRequest(req, { attributes: { tier } }), { signal })
      .then((response) => writeNodeResponse(res, response));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function main(): Promise<void> {
  console.log(`switchyard demo: ${SPECS.length} local upstreams, ${RATE} req/s for ${(DURATION_MS / 1000).toFixed(0)} s, all on 127.0.0.1`);
  const { grayFailure: gray, slow, drain } = SCENARIO;
  console.log(
    `scenario: catalog v2 rolled out ${STEPS.join(' → ')} % (sticky by user id); ${gray.id} answers 503 at ${sec(gray.fromMs)}–${sec(gray.toMs)} while its health check passes; ` +
      `${slow.id} is ${slow.factor}× slower at ${sec(slow.fromMs)}–${sec(slow.toMs)}; ${drain.id}'s /healthz fails at ${sec(drain.fromMs)}–${sec(drain.toMs)} while it serves; free API keys are limited to ${LIMITS.free.perSecond}/s`,
  );
  if (sabotage.size > 0) console.log(`sabotaged on purpose (DEMO_SABOTAGE): ${[...sabotage].join(', ')}`);
  let startedAt = Number.POSITIVE_INFINITY;
  const upstreams = await startUpstreams(SPECS, () => startedAt);
  const urls = new Map(upstreams.map((u) => [u.id, u.url]));
  const transport = createUndiciTransport({ connections: 64 });

  // Warm-up, not measured: the same traffic through a throwaway gateway (never started: no
  // health checks, no rollout), so JIT compilation and connection setup are over before the
  // story's clock starts.
  console.log(`warming up for ${(WARMUP_MS / 1000).toFixed(0)} s (not measured)…`);
  const warm = await serve(createGateway(config(urls), { transport }));
  await drive({ origin: warm.origin, ratePerSecond: RATE, durationMs: WARMUP_MS, maxInFlight: MAX_IN_FLIGHT });
  await warm.close();

  const tty = process.stdout.isTTY === true;
  let status = '';
  const say = (line: string): void => {
    if (tty) process.stdout.write(`\r\x1b[K${line}\n${status}`);
    else console.log(line);
  };

  const gateway = createGateway(config(urls), { transport });
  const log: LogEntry[] = [];
  let weight = STEPS[0] ?? 0;
  const retries = { sent: 0, budgetExhausted: 0, overflow: 0 };
  gateway.subscribe((event) => {
    const t = performance.now() - startedAt;
    if (event.kind === 'upstream') {
      if (event.event.kind === 'retry') retries.sent++;
      else if (event.event.kind === 'retry-budget-exhausted') retries.budgetExhausted++;
      else if (event.event.kind === 'retry-overflow') retries.overflow++;
    }
    let entry: LogEntry | undefined;
    if (event.kind === 'split' && event.route === SCENARIO.rollout.route) entry = { t, kind: 'split', route: event.route, backend: event.backend };
    else if (event.kind === 'upstream' && event.event.kind === 'try') entry = { t, kind: 'try', route: event.route, endpoint: event.event.endpoint.id, attempt: event.event.attempt };
    else if (event.kind === 'health' && event.event.kind !== 'health-check') entry = { t, kind: 'health', upstream: event.upstream, event: event.event };
    else if (event.kind === 'rollout') {
      entry = { t, kind: 'rollout', route: event.route, event: event.event };
      weight = event.event.toPercent;
    }
    if (entry === undefined) return;
    log.push(entry);
    const line = describe(entry);
    if (line !== undefined) say(`${sec(t).padStart(6)}  ${line}`);
  });
  const live = await serve(gateway);
  console.log(`gateway listening on ${live.origin}\n`);
  // The story's clock: the scheduled troubles, the rollout's steps and every time printed count from here.
  startedAt = performance.now();
  gateway.start();

  const samples = await drive({
    origin: live.origin,
    ratePerSecond: RATE,
    durationMs: DURATION_MS,
    maxInFlight: MAX_IN_FLIGHT,
    epoch: startedAt,
    // The progress line: only on a terminal (elsewhere, the event lines above are the progress).
    onTick: tty
      ? (elapsed, s) => {
          const recent = s.filter((x) => x.at > elapsed - 1_000);
          const ok = recent.filter((x) => x.status === 200).length;
          const limited = recent.filter((x) => x.status === 429).length;
          status = `[${sec(elapsed).padStart(5)} / ${sec(DURATION_MS)}]  ${String(s.length).padStart(5)} answered  last 1 s: ${String(ok).padStart(4)} ok, ${String(limited).padStart(3)} limited  rollout at ${weight}%`;
          process.stdout.write(`\r\x1b[K${status}`);
        }
      : undefined,
  });
  if (tty) {
    status = '';
    process.stdout.write('\r\x1b[K');
  }

  await gateway.stop();
  await live.close();
  await stopAll(upstreams.map((u) => u.server));
  const recorded = { samples, log, failedByUpstream: new Map(upstreams.map((u) => [u.id, u.failed])) };
  const checked = checkClaims(recorded, SCENARIO);
  printReport({ recorded, scenario: SCENARIO, steps: checked.steps, upstreams, specs: SPECS, prometheus: gateway.prometheus(), retries });
  process.exitCode = printConclusions(checked.claims) ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
