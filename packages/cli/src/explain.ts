/**
 * `switchyard explain`: what the gateway would do with one request, computed without sending it.
 *
 * The request goes through the gateway's own `acquire()` (route → fault → limit → redirect →
 * experiment → split → endpoint pick → rewrite), on a transport that never sends: what comes back
 * is exactly what `serve` would forward, or the answer the gateway would give itself (redirect,
 * 404, 429, …). The "why" is the router's own verdict on each condition of the matching route
 * (each condition compiled alone into a one-route table, so the semantics are the router's, never
 * a re-implementation), and the other precedence mode is a second route table compiled from the
 * same routes with `selection` flipped.
 */
import { type Clock, type Rng, type SyRequest, type Transport } from '@switchyard/core';
import { createGateway, type Gateway, type GatewayConfig, type GatewayEvent, type RouteConfig, type RouteExplanation } from '@switchyard/gateway';
import { compileRoutes, match, type MatchConfig, type MatchRequest, type RouteConfig as RouterRouteConfig } from '@switchyard/router';
import type { Location } from './load.js';

/** The request to explain, as the command line gives it. */
export interface ExplainInput {
  readonly method: string;
  /** Absolute (`http://shop.example.com/a?b=1`) or origin form (`/a?b=1`, host from `Host` or `localhost`). */
  readonly url: string;
  /** `[name, value]` pairs (`-H 'name: value'`); repeated names are joined with `, ` (`; ` for cookie). */
  readonly headers: readonly (readonly [string, string])[];
  /** The TCP peer the request seems to come from (client-ip limits, `clientCidrs`). */
  readonly clientAddress: string | undefined;
}

/** One condition of the matching route and what the request had. */
export interface ConditionReport {
  readonly kind: 'hostname' | 'path' | 'method' | 'header' | 'query' | 'attribute' | 'client-cidr' | 'runtime-fraction';
  /** The condition as configured, in words: `PathPrefix /api`, `x-canary Exact "1"`. */
  readonly condition: string;
  /** The request's value it was checked against (`undefined`: the request has none). */
  readonly actual: string | undefined;
  /** The router's verdict on this condition alone (`undefined`: not checkable alone, e.g. a fraction). */
  readonly holds: boolean | undefined;
}

/** A route that did not match, with the first condition that failed. */
export interface NearMiss {
  readonly route: string;
  readonly match: number | undefined;
  readonly failed: ConditionReport | undefined;
}

/** A stage of the request lifecycle that applies to the route. */
export interface StageReport {
  readonly stage: string;
  readonly detail: string;
}

/** The machine-readable explanation (`--json`). */
export interface Explanation {
  readonly request: { readonly method: string; readonly scheme: string; readonly authority: string; readonly path: string; readonly query: string; readonly headers: Readonly<Record<string, string>>; readonly clientAddress: string | undefined };
  readonly selection: 'gateway' | 'first-match';
  /** `forward` (an upstream request would be sent), `respond` (the gateway answers itself: redirect, 404, 429, …). */
  readonly outcome: 'forward' | 'respond';
  readonly route:
    | {
        readonly name: string;
        readonly index: number;
        readonly source: Location;
        readonly hostnames: readonly string[];
        /** Index of the match that matched (`matches[i]`), or undefined when the route has none (matches everything). */
        readonly match: number | undefined;
        readonly conditions: readonly ConditionReport[];
        readonly params: Readonly<Record<string, string>>;
      }
    | undefined;
  /** The route the other precedence mode would pick (`null`: none), and whether it differs. */
  readonly otherSelection: { readonly selection: 'gateway' | 'first-match'; readonly route: string | null; readonly differs: boolean };
  /** When no route matched: each route's first failing condition. */
  readonly nearMisses: readonly NearMiss[];
  /** Why the router refused the request before matching (a `#` in the target, a bad path), if it did: answered 400. */
  readonly badRequest: string | undefined;
  /** The lifecycle stages that apply, in order (route policies, limits, split, rewrite, forward policy). */
  readonly stages: readonly StageReport[];
  /**
   * The matched route's compiled policy pipeline (`gateway.explain(route)`): the inbound order
   * (policies then the built-in stages), the outbound order and the finalizers.
   */
  readonly pipeline: Omit<RouteExplanation, 'toString'> | undefined;
  readonly limits: readonly { readonly name: string; readonly config: unknown; readonly limited: boolean }[];
  readonly split:
    | {
        readonly backends: readonly { readonly name: string; readonly upstream: string; readonly subset: Readonly<Record<string, string>> | undefined; readonly weight: number; readonly percent: number }[];
        readonly key: unknown;
        readonly chosen: string | undefined;
        readonly by: string | undefined;
      }
    | undefined;
  readonly rewrite: unknown;
  readonly redirect: unknown;
  /** The gateway's own answer when `outcome` is `respond`. */
  readonly response: { readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string | undefined } | undefined;
  /** The request that would be sent upstream when `outcome` is `forward`. */
  readonly upstream: { readonly endpoint: string; readonly method: string; readonly url: string; readonly headers: Readonly<Record<string, string>> } | undefined;
}

/** Builds the request the gateway sees from the command line's method, URL and headers. */
export function requestOf(input: ExplainInput): { ok: true; request: SyRequest } | { ok: false; message: string } {
  const method = input.method.toUpperCase();
  if (!/^[A-Z][A-Z0-9!#$%&'*+.^_`|~-]*$/.test(method)) return { ok: false, message: `not an HTTP method: ${JSON.stringify(input.method)}` };
  const headers: Record<string, string> = {};
  for (const [rawName, value] of input.headers) {
    const name = rawName.toLowerCase();
    const prev = headers[name];
    headers[name] = prev === undefined ? value : `${prev}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  let scheme: 'http' | 'https' = 'http';
  let authority = headers['host'];
  let target = input.url;
  const absolute = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(input.url);
  if (absolute !== null) {
    scheme = (absolute[1] as string).toLowerCase() as 'http' | 'https';
    authority ??= absolute[2] as string;
    target = absolute[3] === '' ? '/' : (absolute[3] as string);
  } else if (!input.url.startsWith('/')) {
    return { ok: false, message: `URL must be absolute (http://host/path) or start with /: ${JSON.stringify(input.url)}` };
  }
  authority = (authority ?? 'localhost').toLowerCase();
  headers['host'] ??= authority;
  const q = target.indexOf('?');
  return {
    ok: true,
    request: {
      method,
      scheme,
      authority,
      path: q < 0 ? target : target.slice(0, q),
      query: q < 0 ? '' : target.slice(q + 1),
      headers,
      clientAddress: input.clientAddress,
      attributes: {},
    },
  };
}

/** A transport that refuses to send: explain never contacts an upstream. */
const NO_SEND: Transport = {
  send: () => Promise.resolve({ kind: 'error', error: 'local', message: 'explain does not send requests' } as never),
};

/** A clock whose timers fire at once (a fault delay must not make explain wait). */
function instantClock(): Clock {
  let t = 0;
  return {
    now: () => t,
    wallNow: () => Date.now(),
    setTimer: (ms, fn) => {
      let canceled = false;
      queueMicrotask(() => {
        if (canceled) return;
        t += Number.isFinite(ms) && ms > 0 ? ms : 0;
        fn();
      });
      return () => {
        canceled = true;
      };
    },
  };
}

/** mulberry32: a fixed seed, so the same command explains the same way every time. */
function fixedRng(seed = 0x5eed): Rng {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/**
 * Explains `request` against `config` (already validated). `locate` maps `routes[i]` back to
 * its file. Never sends anything.
 */
export async function explain(config: GatewayConfig, request: SyRequest, locate: (path: string) => Location): Promise<Explanation> {
  const events: GatewayEvent[] = [];
  const gateway: Gateway = createGateway(config, { transport: NO_SEND, clock: instantClock(), rng: fixedRng(), onEvent: (e) => events.push(e) });
  const selection = config.selection ?? 'gateway';
  const routes = config.routes;
  const acquired = await gateway.acquire(request);
  const split = events.find((e): e is Extract<GatewayEvent, { kind: 'split' }> => e.kind === 'split');
  const limitedRule = events.find((e): e is Extract<GatewayEvent, { kind: 'limited' }> => e.kind === 'limited')?.rule;

  const table = tableOf(routes, selection, config);
  const m = match(table, request);
  const matched = m.kind === 'matched' ? m : undefined;
  const routeIndex = matched === undefined ? -1 : routes.findIndex((r) => r.name === matched.route.id);
  const route = routeIndex < 0 ? undefined : routes[routeIndex];

  const other = selection === 'gateway' ? 'first-match' : 'gateway';
  let otherRoute: string | null;
  try {
    const o = match(tableOf(routes, other, config), request);
    otherRoute = o.kind === 'matched' ? o.route.id : null;
  } catch {
    otherRoute = null; // the routes do not compile in the other mode: nothing would match there
  }

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) if (v !== undefined) headers[k] = v;

  let response: Explanation['response'];
  let upstream: Explanation['upstream'];
  if (acquired.kind === 'respond') {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(acquired.response.headers)) if (v !== undefined) h[k] = Array.isArray(v) ? v.join(', ') : String(v);
    const body = acquired.response.body;
    response = { status: acquired.response.status, headers: h, body: typeof body === 'string' ? body : undefined };
  } else {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(acquired.request.headers)) if (v !== undefined) out[k] = v;
    const origin = new URL(acquired.endpoint.url);
    upstream = { endpoint: acquired.endpoint.id, method: acquired.request.method, url: `${origin.protocol}//${origin.host}${acquired.request.path}`, headers: out };
    acquired.release();
  }

  const plan = route === undefined ? undefined : gateway.explain(route.name);
  const explanation: Explanation = {
    request: { method: request.method, scheme: request.scheme, authority: request.authority, path: request.path, query: request.query, headers, clientAddress: request.clientAddress },
    selection,
    outcome: acquired.kind === 'endpoint' ? 'forward' : 'respond',
    route:
      route === undefined || matched === undefined
        ? undefined
        : {
            name: route.name,
            index: routeIndex,
            source: locate(`routes[${routeIndex}]`),
            hostnames: route.hostnames ?? [],
            match: route.matches === undefined ? undefined : matched.matchIndex,
            conditions: conditionsOf(route, route.matches?.[matched.matchIndex] ?? {}, request, config),
            params: { ...matched.params },
          },
    otherSelection: { selection: other, route: otherRoute, differs: otherRoute !== (route?.name ?? null) },
    nearMisses: route === undefined && m.kind === 'no-route' ? routes.map((r) => nearMiss(r, request, config)) : [],
    badRequest: m.kind === 'bad-request' ? m.reason : undefined,
    stages: route === undefined ? [] : stagesOf(route, config),
    pipeline: plan === undefined ? undefined : { route: plan.route, inbound: plan.inbound, outbound: plan.outbound, finalizers: plan.finalizers },
    limits: (route?.limits ?? []).map((name) => ({ name, config: config.limits?.[name], limited: limitedRule === name })),
    split:
      route === undefined || (route.backends ?? []).length === 0
        ? undefined
        : splitOf(route, split),
    rewrite: route?.rewrite,
    redirect: route?.redirect,
    response,
    upstream,
  };
  await gateway.stop();
  return explanation;
}

function tableOf(routes: readonly RouteConfig[], selection: 'gateway' | 'first-match', config: GatewayConfig) {
  // The gateway's own table, rebuilt: id and name are the route name, age is the position (compile.ts).
  const list: RouterRouteConfig[] = routes.map((r, i) => ({
    id: r.name,
    name: r.name,
    createdAtMs: i,
    ...(r.hostnames !== undefined ? { hostnames: r.hostnames } : {}),
    ...(r.matches !== undefined ? { matches: r.matches } : {}),
  }));
  return compileRoutes({ routes: list }, { selection, ...(config.normalize !== undefined ? { normalize: config.normalize } : {}) });
}

/** Whether the router matches `request` against a route made of `hostnames` and one `match` only. */
function holds(hostnames: readonly string[] | undefined, m: MatchConfig, request: MatchRequest, config: GatewayConfig): boolean | undefined {
  try {
    const t = compileRoutes(
      { routes: [{ id: 'x', ...(hostnames !== undefined && hostnames.length > 0 ? { hostnames } : {}), matches: [m] }] },
      config.normalize !== undefined ? { normalize: config.normalize } : {},
    );
    return match(t, request).kind === 'matched';
  } catch {
    return undefined;
  }
}

/** Each condition of one match, checked alone by the router. */
function conditionsOf(route: RouteConfig, m: MatchConfig, request: SyRequest, config: GatewayConfig): ConditionReport[] {
  const out: ConditionReport[] = [];
  // Every other condition is removed; the path defaults to PathPrefix / (matches everything).
  const anyPath = { path: { type: 'PathPrefix' as const, value: '/' } };
  if ((route.hostnames ?? []).length > 0) {
    out.push({ kind: 'hostname', condition: (route.hostnames ?? []).join(' | '), actual: request.authority, holds: holds(route.hostnames, anyPath, request, config) });
  }
  const path = m.path ?? { type: 'PathPrefix', value: '/' };
  out.push({
    kind: 'path',
    condition: `${path.type ?? 'PathPrefix'} ${path.value ?? '/'}${path.ignoreCase === true ? ' (ignore case)' : ''}`,
    actual: request.path,
    holds: holds(undefined, { path }, request, config),
  });
  if (m.method !== undefined) out.push({ kind: 'method', condition: m.method, actual: request.method, holds: holds(undefined, { ...anyPath, method: m.method }, request, config) });
  for (const h of m.headers ?? []) {
    const type = h.type ?? 'Exact';
    const cond = `${h.name} ${type}${h.value !== undefined ? ` ${JSON.stringify(h.value)}` : ''}${h.invert === true ? ' (inverted)' : ''}${h.ignoreCase === true ? ' (ignore case)' : ''}`;
    out.push({ kind: 'header', condition: cond, actual: request.headers[h.name.toLowerCase()], holds: holds(undefined, { ...anyPath, headers: [h] }, request, config) });
  }
  for (const q of m.queryParams ?? []) {
    const cond = `${q.name} ${q.type ?? 'Exact'}${q.value !== undefined ? ` ${JSON.stringify(q.value)}` : ''}`;
    out.push({ kind: 'query', condition: cond, actual: queryValue(request.query, q.name), holds: holds(undefined, { ...anyPath, queryParams: [q] }, request, config) });
  }
  for (const a of m.attributes ?? []) {
    out.push({ kind: 'attribute', condition: `${a.key} ${JSON.stringify({ ...a, key: undefined })}`, actual: undefined, holds: holds(undefined, { ...anyPath, attributes: [a] }, request, config) });
  }
  if (m.clientCidrs !== undefined) out.push({ kind: 'client-cidr', condition: m.clientCidrs.join(' | '), actual: request.clientAddress, holds: holds(undefined, { ...anyPath, clientCidrs: m.clientCidrs }, request, config) });
  if (m.runtimeFraction !== undefined) out.push({ kind: 'runtime-fraction', condition: `${m.runtimeFraction.percent}% of matching requests`, actual: undefined, holds: undefined });
  return out;
}

/** The first value of a query parameter as received (still percent-encoded), as the router reads it. */
function queryValue(query: string, name: string): string | undefined {
  if (query === '') return undefined;
  for (const part of query.split('&')) {
    const eq = part.indexOf('=');
    const key = eq < 0 ? part : part.slice(0, eq);
    if (key === name) return eq < 0 ? '' : part.slice(eq + 1);
  }
  return undefined;
}

/** Why a route did not match: for each of its matches, the first condition that fails alone. */
function nearMiss(route: RouteConfig, request: SyRequest, config: GatewayConfig): NearMiss {
  const matches = route.matches ?? [{}];
  for (let i = 0; i < matches.length; i++) {
    const failed = conditionsOf(route, matches[i] as MatchConfig, request, config).find((c) => c.holds === false);
    if (failed !== undefined) return { route: route.name, match: route.matches === undefined ? undefined : i, failed };
  }
  // Every condition holds alone: a fraction, or the combination, decided against it.
  return { route: route.name, match: undefined, failed: undefined };
}

function splitOf(route: RouteConfig, event: Extract<GatewayEvent, { kind: 'split' }> | undefined): Explanation['split'] {
  const backends = (route.backends ?? []).map((b) => ({
    name: b.name ?? backendName(b.upstream, b.subset),
    upstream: b.upstream,
    subset: b.subset,
    weight: b.weight ?? 1,
  }));
  const total = backends.reduce((s, b) => s + b.weight, 0);
  return {
    backends: backends.map((b) => ({ ...b, percent: total === 0 ? 0 : Math.round((b.weight / total) * 10_000) / 100 })),
    key: route.split?.key,
    chosen: event?.backend,
    by: event?.by,
  };
}

/** The gateway's default backend name (compile.ts `backendName`). */
function backendName(upstream: string, subset: Readonly<Record<string, string>> | undefined): string {
  const s = Object.entries(subset ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  return s === '' ? upstream : `${upstream}[${s}]`;
}

/** The lifecycle stages that apply to `route`, in the gateway's order (docs/architecture.md). */
function stagesOf(route: RouteConfig, config: GatewayConfig): StageReport[] {
  const out: StageReport[] = [];
  if (route.fault !== undefined) out.push({ stage: 'fault', detail: inline(route.fault) });
  for (const name of route.limits ?? []) out.push({ stage: 'limit', detail: `${name}: ${inline(config.limits?.[name])}` });
  if (route.redirect !== undefined) out.push({ stage: 'redirect', detail: inline(route.redirect) });
  if (route.experiment !== undefined) out.push({ stage: 'experiment', detail: inline(route.experiment) });
  if (route.rollout !== undefined) out.push({ stage: 'rollout', detail: inline(route.rollout) });
  if ((route.backends ?? []).length > 0) out.push({ stage: 'split', detail: (route.backends ?? []).map((b) => `${b.name ?? backendName(b.upstream, b.subset)}=${b.weight ?? 1}`).join(' ') + (route.split !== undefined ? ` ${inline(route.split)}` : '') });
  if (route.rewrite !== undefined) out.push({ stage: 'rewrite', detail: inline(route.rewrite) });
  if (route.mirror !== undefined) out.push({ stage: 'mirror', detail: inline(route.mirror) });
  if (route.redirect === undefined) {
    const forward: Record<string, unknown> = { timeoutMs: route.timeoutMs ?? 15_000 };
    if (route.perTryTimeoutMs !== undefined) forward['perTryTimeoutMs'] = route.perTryTimeoutMs;
    if (route.idleTimeoutMs !== undefined) forward['idleTimeoutMs'] = route.idleTimeoutMs;
    if (route.retry !== undefined) forward['retry'] = route.retry;
    if (route.hedge !== undefined) forward['hedge'] = route.hedge;
    if (route.propagateDeadline === true) forward['propagateDeadline'] = true;
    out.push({ stage: 'forward', detail: inline(forward) });
  }
  return out;
}

/** A compact one-line rendering of config values: `{ path: { type: Template, template: /a/${id} } }`. */
export function inline(value: unknown): string {
  if (value === undefined) return '(none)';
  if (value === null) return 'null';
  if (typeof value === 'string') return /^[\w./:${}*@+-]+$/.test(value) && value !== '' ? value : JSON.stringify(value);
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return entries.length === 0 ? '{}' : `{ ${entries.map(([k, v]) => `${k}: ${inline(v)}`).join(', ')} }`;
}

