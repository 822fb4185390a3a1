/**
 * `gateway.admin()`: a live dashboard of one gateway, as a handler in the gateway's own request
 * and response types (so every adapter, `switchyard serve` and an edge worker can mount it).
 *
 * It serves three things, recognised by the end of the path, so that it works under any mount
 * path (`/admin/`, `/ops/switchyard/`, `/`):
 *
 *     GET  …/                               the page: one self-contained HTML file (inline CSS and
 *                                           JS, no network access but its own JSON), polling:
 *     GET  …/api/snapshot                   the JSON snapshot (see {@link DashboardSnapshot})
 *     POST …/api/rollouts/<route>/<op>      promote | abort | retry (only with `operationsToken`)
 *
 * Cost: nothing on the request path. Every number is derived from what the gateway keeps anyway
 * (the `http.server.request.duration` and `http.client.request.duration` histograms, the
 * `switchyard.rate_limited`, `switchyard.policy.rejections` and `switchyard.upstream.rejected`
 * counters, the rollout, outlier, health and breaker states). Rates over a sliding window come
 * from samples of those cumulative counters, taken when a snapshot is read (at most one per
 * `sampleIntervalMs`) on the injected clock, as Prometheus' `rate()` and `histogram_quantile()`
 * do over scraped samples; no timer, no background work.
 *
 * Operations are off unless `operationsToken` is given; then they take
 * `Authorization: Bearer <token>` (compared in constant time), on POST only. A header and never
 * a cookie: a browser never attaches it to a cross-site request by itself, and a cross-origin
 * script cannot add it without a CORS preflight this handler never approves (OWASP CSRF
 * cheat sheet, "custom request headers"). Answers 401 `SY_UNAUTHORIZED` without a valid token,
 * 403 `SY_FORBIDDEN` when operations are off, as RFC 9457 problem details.
 */
import { encodeUtf8, SwitchyardError, type Clock, type ResponseHeaders, type SyRequest, type SyResponse } from '@switchyard/core';
import type { GatewayPlan, RoutePlan } from './compile.js';
import { dashboardPage } from './dashboard-page.js';
import { reasonPhrase } from './error-format.js';
import { ERROR_MESSAGES } from './error-body.js';
import { INSTRUMENTS, LATENCY_BUCKETS_MS, type MetricsRegistry } from './metrics.js';
import type { GatewayRollouts } from './rollout-fleet.js';

/** Options of `gateway.admin()`. */
export interface AdminOptions {
  /**
   * The sliding window of rates, success rates and percentiles, ms (default 60 000, Prometheus'
   * usual `rate(…[1m])`). The snapshot says which span it actually covered (`windowMs`).
   */
  readonly windowMs?: number;
  /** Shortest spacing of the counter samples kept for the window, ms (default 1 000). */
  readonly sampleIntervalMs?: number;
  /** How often the page asks for a snapshot, ms (default 1 000). */
  readonly refreshMs?: number;
  /**
   * Enables the rollout operations (promote, abort, retry) for requests carrying
   * `Authorization: Bearer <token>`. Without it the dashboard is read-only. Use a long random
   * secret (32 bytes or more); an empty string is refused.
   */
  readonly operationsToken?: string;
  /** The page's title (default `switchyard`). */
  readonly title?: string;
  /** Rollout events shown per rollout, newest first (default 10). */
  readonly maxEvents?: number;
}

/** A count over the whole run and over the window. */
export interface WindowCount {
  /** Since the gateway started. */
  readonly total: number;
  /** Within the snapshot's window. */
  readonly window: number;
  /** `window` per second of the window (`null` while the window is empty in time). */
  readonly perSecond: number | null;
}

/** Traffic numbers over the window (`null` where nothing was observed in it). */
export interface TrafficStats {
  readonly requests: WindowCount;
  /** Share of answers with a status below 500 (0 … 1). */
  readonly successRate: number | null;
  /** Median latency, ms, estimated from the histogram buckets (`histogram_quantile(0.5, …)`). */
  readonly p50Ms: number | null;
  /** 99th percentile latency, ms, estimated the same way. */
  readonly p99Ms: number | null;
}

/** One backend (version) of a route. */
export interface BackendStats extends TrafficStats {
  readonly name: string;
  readonly upstream: string;
  /** The distinct `version` metadata of the backend's endpoints. */
  readonly versions: readonly string[];
  /** Its share of the route's split now, percent (`null` when the route has no split). */
  readonly weightPercent: number | null;
}

/** One route. */
export interface RouteStats extends TrafficStats {
  /** The route's name; `null` for requests no route matched. */
  readonly name: string | null;
  /** Per backend: tries sent to its endpoints (retries and hedges count; an upstream shared by several routes shows the same numbers under each). */
  readonly backends: readonly BackendStats[];
}

/** One rollout. */
export interface RolloutSnapshot {
  readonly route: string;
  readonly name: string;
  readonly phase: string | null;
  readonly weightPercent: number;
  /** The current step, from 0. */
  readonly stepIndex: number;
  readonly failedChecks: number;
  readonly reasons: readonly string[];
  /** Fleet mode: this replica runs the checks. */
  readonly leader: boolean;
  readonly storeAvailable: boolean;
  /** The last decisions, newest first; `agoMs` is how long before the snapshot. */
  readonly events: readonly { readonly agoMs: number; readonly type: string; readonly fromPercent: number; readonly toPercent: number; readonly reason: string }[];
}

/** The JSON the page polls. */
export interface DashboardSnapshot {
  // Deliberately alike: health/src/active-health-check.ts (HealthCheckPlan) — a data type's list of readonly fields: alike in shape only, different fields and meanings
  readonly format: 'switchyard.dashboard/v1';
  /** Wall-clock time of the snapshot, Unix ms. */
  readonly at: number;
  /** The span the window numbers cover, ms (shorter than configured until enough samples exist). */
  readonly windowMs: number;
  readonly configuredWindowMs: number;
  readonly refreshMs: number;
  /** Whether the rollout operations are enabled (they still need the token). */
  readonly operations: boolean;
  readonly routes: readonly RouteStats[];
  readonly rollouts: readonly RolloutSnapshot[];
  /** Endpoints out of rotation: by the outlier detector or by active health checks. */
  readonly ejected: readonly { readonly upstream: string; readonly endpoint: string; readonly url: string; readonly by: 'outlier' | 'health-check'; readonly sinceMs: number | null }[];
  /** Circuit breakers that are not closed. */
  readonly breakers: readonly { readonly upstream: string; readonly status: 'open' | 'half-open'; readonly retryInMs: number }[];
  /** Requests refused by a rate limit (route `limits` rules and rate-limit policies). */
  readonly limits: readonly { readonly route: string; readonly rule: string; readonly source: 'limit' | 'policy'; readonly rejected: WindowCount }[];
  /** Requests refused before any try: breaker open, no endpoint, resource limits, overload. */
  readonly refused: readonly { readonly upstream: string; readonly reason: string; readonly rejected: WindowCount }[];
}

/** The dashboard handler: mount it at any path in any adapter. */
export interface AdminHandler {
  (request: SyRequest): Promise<SyResponse>;
  /** The snapshot now (what `…/api/snapshot` answers); takes a counter sample as well. */
  snapshot(): DashboardSnapshot;
  /** Whether the rollout operations are enabled. */
  readonly operationsEnabled: boolean;
}

/** What the dashboard reads from its gateway. */
export interface AdminSource {
  readonly clock: Clock;
  readonly metrics: MetricsRegistry;
  plan(): GatewayPlan;
  readonly rollouts: GatewayRollouts;
}

const BUCKETS = LATENCY_BUCKETS_MS.length + 1;
/** Counts kept per histogram key: [count, errors, ...per-bucket counts]. */
const HIST = 2 + BUCKETS;
const OPERATIONS = ['promote', 'abort', 'retry'] as const;
type Operation = (typeof OPERATIONS)[number];

interface Sample {
  readonly at: number;
  readonly values: Map<string, number[]>;
}

/**
 * Builds the dashboard over a gateway's state (`gateway.admin()` calls it; see the module doc).
 *
 * @example
 * ```ts
 * const admin = gateway.admin({ operationsToken: process.env.SWITCHYARD_ADMIN_TOKEN });
 * const response = await admin({ method: 'GET', scheme: 'http', authority: 'x', path: '/admin/api/snapshot', query: '', headers: {}, attributes: {} });
 * ```
 */
export function createAdmin(source: AdminSource, options: AdminOptions = {}): AdminHandler {
  const { clock, metrics } = source;
  const windowMs = positive(options.windowMs, 60_000, 'windowMs');
  const sampleIntervalMs = positive(options.sampleIntervalMs, 1_000, 'sampleIntervalMs');
  const refreshMs = positive(options.refreshMs, 1_000, 'refreshMs');
  const maxEvents = Math.floor(positive(options.maxEvents, 10, 'maxEvents'));
  const token = options.operationsToken;
  if (token !== undefined && token.length === 0) throw new SwitchyardError('SY_INVALID_ARGUMENT', 'admin: operationsToken must not be empty (leave it out to keep the dashboard read-only)');
  const tokenBytes = token === undefined ? undefined : encodeUtf8(token);
  const page = dashboardPage({ title: options.title ?? 'switchyard', refreshMs });

  // The first sample is taken now, so the first snapshot already has a window behind it.
  const samples: Sample[] = [{ at: clock.now(), values: collect(metrics) }];

  function snapshot(): DashboardSnapshot {
    const now = clock.now();
    const current = collect(metrics);
    // The base: the newest sample at or before the window's start, else the oldest one.
    let base = samples[0] as Sample;
    for (const s of samples) if (s.at <= now - windowMs) base = s;
    const last = samples[samples.length - 1] as Sample;
    if (now - last.at >= sampleIntervalMs) samples.push({ at: now, values: current });
    // Keep one sample at or before the window's start, and everything after it.
    while (samples.length > 1 && (samples[1] as Sample).at <= now - windowMs) samples.shift();
    const spanMs = Math.max(0, now - base.at);
    const delta = (key: string, width: number): { cur: number[]; win: number[] } => {
      const cur = current.get(key) ?? zeros(width);
      const old = base.values.get(key);
      const win = cur.map((v, i) => Math.max(0, v - (old?.[i] ?? 0)));
      return { cur, win };
    };
    const count = (total: number, window: number): WindowCount => ({ total, window, perSecond: spanMs > 0 ? (window * 1000) / spanMs : null });
    const traffic = (cur: number[], win: number[]): TrafficStats => {
      const n = win[0] as number;
      const buckets = win.slice(2);
      return {
        requests: count(cur[0] as number, n),
        successRate: n > 0 ? (n - (win[1] as number)) / n : null,
        p50Ms: quantileMs(0.5, buckets, n),
        p99Ms: quantileMs(0.99, buckets, n),
      };
    };

    const plan = source.plan();
    const routes: RouteStats[] = [];
    for (const route of plan.routes) {
      const { cur, win } = delta(`r\u0000${route.name}`, HIST);
      routes.push({ name: route.name, ...traffic(cur, win), backends: backendStats(route) });
    }
    const unmatched = current.get('r\u0001');
    if (unmatched !== undefined) {
      const { cur, win } = delta('r\u0001', HIST);
      routes.push({ name: null, ...traffic(cur, win), backends: [] });
    }

    function backendStats(route: RoutePlan): BackendStats[] {
      const out: BackendStats[] = [];
      const split = route.split;
      for (const [name, backend] of route.backends) {
        const cur = zeros(HIST);
        const win = zeros(HIST);
        const versions = new Set<string>();
        for (const e of backend.group.endpoints) {
          const v = e.metadata['version'];
          if (v !== undefined) versions.add(v);
          const d = delta(`e\u0000${backend.upstream.name}\u0000${e.id}`, HIST);
          for (let i = 0; i < HIST; i++) {
            cur[i] = (cur[i] as number) + (d.cur[i] as number);
            win[i] = (win[i] as number) + (d.win[i] as number);
          }
        }
        const entry = split?.backends.find((b) => b.name === name);
        const weightPercent = split === undefined ? null : entry === undefined || split.totalWeight === 0 ? 0 : (100 * entry.weight) / split.totalWeight;
        out.push({ name, upstream: backend.upstream.name, versions: [...versions].sort(), weightPercent, ...traffic(cur, win) });
      }
      return out;
    }

    const statuses = source.rollouts.status();
    const rollouts: RolloutSnapshot[] = [];
    for (const route of plan.routes) {
      const r = route.rollout;
      if (r === undefined) continue;
      const st = statuses.find((s) => s.name === r.config.name);
      const events = r.state.events.slice(-maxEvents).reverse();
      rollouts.push({
        route: route.name,
        name: r.config.name,
        phase: st?.phase ?? r.state.phase,
        weightPercent: st?.weightPercent ?? Math.max(0, r.appliedPercent),
        stepIndex: st?.stepIndex ?? r.state.stepIndex,
        failedChecks: st?.failedChecks ?? r.state.failedChecks,
        reasons: st?.reasons ?? r.state.reasons,
        leader: st?.leader ?? true,
        storeAvailable: st?.storeAvailable ?? true,
        events: events.map((e) => ({ agoMs: Math.max(0, now - e.at), type: e.type, fromPercent: e.fromPercent, toPercent: e.toPercent, reason: e.reason })),
      });
    }

    const ejected: DashboardSnapshot['ejected'][number][] = [];
    const breakers: DashboardSnapshot['breakers'][number][] = [];
    for (const up of plan.upstreams.values()) {
      // The detectors' state as the last request or sweep left it (reading never runs a sweep).
      if (up.outlier !== undefined) {
        for (const host of up.outlier.state.hosts.values()) {
          if (host.ejected) ejected.push({ upstream: up.name, endpoint: host.endpoint.id, url: host.endpoint.url, by: 'outlier', sinceMs: host.lastEjectionAt === null ? null : Math.max(0, now - host.lastEjectionAt) });
        }
      }
      if (up.health !== undefined) {
        for (const [id, st] of up.health.states) {
          if (st.status !== 'unhealthy') continue;
          const e = up.endpoints.find((x) => x.id === id);
          ejected.push({ upstream: up.name, endpoint: id, url: e?.url ?? '', by: 'health-check', sinceMs: null });
        }
      }
      const b = up.breaker;
      if (b !== undefined) {
        const status = b.status(now);
        if (status !== 'closed') breakers.push({ upstream: up.name, status, retryInMs: Math.max(0, b.state.openUntil - now) });
      }
    }

    const limits: DashboardSnapshot['limits'][number][] = [];
    const refused: DashboardSnapshot['refused'][number][] = [];
    for (const key of current.keys()) {
      const kind = key[0];
      if (kind !== 'l' && kind !== 'p' && kind !== 'u') continue;
      const [, a = '', b = ''] = key.split('\u0000');
      const { cur, win } = delta(key, 1);
      const rejected = count(cur[0] as number, win[0] as number);
      if (kind === 'u') refused.push({ upstream: a, reason: b, rejected });
      else limits.push({ route: a, rule: b, source: kind === 'l' ? 'limit' : 'policy', rejected });
    }
    limits.sort((x, y) => x.route.localeCompare(y.route) || x.rule.localeCompare(y.rule));
    refused.sort((x, y) => x.upstream.localeCompare(y.upstream) || x.reason.localeCompare(y.reason));

    return {
      format: 'switchyard.dashboard/v1',
      at: clock.wallNow(),
      windowMs: spanMs,
      configuredWindowMs: windowMs,
      refreshMs,
      operations: token !== undefined,
      routes,
      rollouts,
      ejected,
      breakers,
      limits,
      refused,
    };
  }

  async function operate(request: SyRequest, routeName: string, op: Operation): Promise<SyResponse> {
    if (tokenBytes === undefined) return problem('SY_FORBIDDEN', 'rollout operations are not enabled on this dashboard (operationsToken)');
    const given = bearer(request.headers['authorization']);
    if (given === undefined || !constantTimeEqual(encodeUtf8(given), tokenBytes)) {
      return problem('SY_UNAUTHORIZED', 'a valid operations token is required (Authorization: Bearer <token>)', { 'www-authenticate': 'Bearer realm="switchyard-admin"' });
    }
    const params = new Map<string, string>();
    for (const part of request.query.split('&')) {
      if (part === '') continue;
      const i = part.indexOf('=');
      const k = decodeQuery(i < 0 ? part : part.slice(0, i));
      const v = decodeQuery(i < 0 ? '' : part.slice(i + 1));
      if (k !== undefined && v !== undefined) params.set(k, v);
    }
    const reason = (params.get('reason') ?? '').slice(0, 500) || `${op} from the dashboard`;
    const rollouts = source.rollouts;
    const result = op === 'promote' ? await rollouts.promote(routeName, { full: params.get('full') === 'true', reason }) : op === 'abort' ? await rollouts.abort(routeName, reason) : await rollouts.retry(routeName, reason);
    const status = result.kind === 'done' ? 200 : result.kind === 'not-applicable' ? 409 : 503;
    return json(status, result);
  }

  async function handle(request: SyRequest): Promise<SyResponse> {
    const path = request.path;
    const op = /\/api\/rollouts\/([^/]+)\/([a-z]+)$/.exec(path);
    if (op !== null) {
      const name = decodePath(op[1] as string);
      const what = op[2] as string;
      if (name === undefined || !(OPERATIONS as readonly string[]).includes(what)) return problem('SY_NO_ROUTE', 'unknown dashboard operation');
      if (request.method !== 'POST') return problem('SY_BAD_REQUEST', 'operations take POST', { allow: 'POST' }, 405);
      return operate(request, name, what as Operation);
    }
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    if (path.endsWith('/api/snapshot')) {
      if (!isRead) return problem('SY_BAD_REQUEST', 'the snapshot takes GET', { allow: 'GET, HEAD' }, 405);
      return json(200, snapshot(), request.method === 'HEAD');
    }
    if (/\/api(\/.*)?$/.test(path)) return problem('SY_NO_ROUTE', 'unknown dashboard endpoint');
    if (!isRead) return problem('SY_BAD_REQUEST', 'the dashboard page takes GET', { allow: 'GET, HEAD' }, 405);
    return { status: 200, headers: PAGE_HEADERS, body: request.method === 'HEAD' ? null : page };
  }

  const handler = ((request: SyRequest) => handle(request).catch((err: unknown) => problem('SY_INTERNAL', `dashboard failed: ${err instanceof Error ? err.message : String(err)}`))) as AdminHandler;
  Object.defineProperty(handler, 'snapshot', { value: snapshot });
  Object.defineProperty(handler, 'operationsEnabled', { value: token !== undefined });
  return handler;
}

/**
 * The page's headers: nothing but itself may load (its own snapshot endpoint excepted), no
 * framing, no caching, no referrer.
 */
const PAGE_HEADERS: ResponseHeaders = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
});

function json(status: number, value: unknown, head = false): SyResponse {
  return { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }, body: head ? null : JSON.stringify(value) };
}

/** An RFC 9457 problem details answer; `code` and the gateway's fixed sentence as `title`. */
function problem(code: 'SY_UNAUTHORIZED' | 'SY_FORBIDDEN' | 'SY_NO_ROUTE' | 'SY_BAD_REQUEST' | 'SY_INTERNAL', detail: string, headers: Readonly<Record<string, string>> = {}, status?: number): SyResponse {
  const s = status ?? { SY_UNAUTHORIZED: 401, SY_FORBIDDEN: 403, SY_NO_ROUTE: 404, SY_BAD_REQUEST: 400, SY_INTERNAL: 500 }[code];
  const body = { type: 'about:blank', title: reasonPhrase(s), status: s, detail, code, message: ERROR_MESSAGES[code] };
  return { status: s, headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

/** The token of an `Authorization: Bearer <token>` header (RFC 6750 §2.1; the scheme is case-insensitive). */
function bearer(value: string | readonly string[] | undefined): string | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^bearer +(\S+) *$/i.exec(value);
  return m === null ? undefined : m[1];
}

/**
 * Compares two byte strings in time that depends on `expected`'s length only, never on where
 * they differ (the loop always runs over `expected`; a length difference is folded in).
 */
export function constantTimeEqual(given: Uint8Array, expected: Uint8Array): boolean {
  let diff = given.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) diff |= (expected[i] as number) ^ (given.length === 0 ? 0 : (given[i % given.length] as number));
  return diff === 0;
}


function decodePath(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

function decodeQuery(s: string): string | undefined {
  return decodePath(s.replace(/\+/g, ' '));
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!(value > 0) || !Number.isFinite(value)) throw new SwitchyardError('SY_INVALID_ARGUMENT', `admin: ${name} must be a positive number, got ${value}`);
  return value;
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}

/**
 * One sample of the cumulative counters the dashboard reads, by key: `r␀route` (`r␁` for no
 * route) and `e␀upstream␀endpoint` → [count, 5xx or errors, ...per bucket]; `l␀route␀rule`,
 * `p␀route␀policy` (429s of policies) and `u␀upstream␀reason` → [count].
 */
function collect(metrics: MetricsRegistry): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const hist = (key: string, count: number, errors: boolean, counts: readonly number[]): void => {
    let a = out.get(key);
    if (a === undefined) {
      a = zeros(HIST);
      out.set(key, a);
    }
    a[0] = (a[0] as number) + count;
    if (errors) a[1] = (a[1] as number) + count;
    for (let i = 0; i < BUCKETS; i++) a[2 + i] = (a[2 + i] as number) + (counts[i] ?? 0);
  };
  const add = (key: string, value: number): void => {
    const a = out.get(key);
    if (a === undefined) out.set(key, [value]);
    else a[0] = (a[0] as number) + value;
  };
  metrics.visit(INSTRUMENTS.serverRequestDuration, (labels, value, h) => {
    const route = labels['http.route'];
    const status = labels['http.response.status_code'];
    hist(route === undefined ? 'r\u0001' : `r\u0000${route}`, value, typeof status !== 'number' || status >= 500, h?.counts ?? []);
  });
  metrics.visit(INSTRUMENTS.clientRequestDuration, (labels, value, h) => {
    const status = labels['http.response.status_code'];
    // A try without a response (connect, timeout, reset…) has no status: a failure.
    hist(`e\u0000${labels['switchyard.upstream']}\u0000${labels['switchyard.endpoint']}`, value, typeof status !== 'number' || status >= 500, h?.counts ?? []);
  });
  metrics.visit(INSTRUMENTS.rateLimited, (labels, value) => add(`l\u0000${labels['http.route']}\u0000${labels['switchyard.rate_limit.rule']}`, value));
  metrics.visit(INSTRUMENTS.policyRejections, (labels, value) => {
    if (labels['http.response.status_code'] === 429) add(`p\u0000${labels['http.route']}\u0000${labels['switchyard.policy']}`, value);
  });
  metrics.visit(INSTRUMENTS.upstreamRejected, (labels, value) => add(`u\u0000${labels['switchyard.upstream']}\u0000${labels['switchyard.reason']}`, value));
  return out;
}

/**
 * The `q` quantile of observations counted per bucket of {@link LATENCY_BUCKETS_MS} (the last
 * slot above every bound), as Prometheus' `histogram_quantile` estimates it
 * (prometheus/promql/quantile.go `bucketQuantile`): linear interpolation inside the bucket
 * holding rank `q × n`, from 0 for the first bucket; in the overflow bucket, the highest bound.
 */
export function quantileMs(q: number, counts: readonly number[], n: number): number | null {
  if (n <= 0) return null;
  const rank = q * n;
  let cumulative = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (c > 0 && cumulative + c >= rank) {
      if (i >= LATENCY_BUCKETS_MS.length) return LATENCY_BUCKETS_MS[LATENCY_BUCKETS_MS.length - 1] as number;
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_MS[i - 1] as number);
      const upper = LATENCY_BUCKETS_MS[i] as number;
      return lower + (upper - lower) * ((rank - cumulative) / c);
    }
    cumulative += c;
  }
  return null;
}
