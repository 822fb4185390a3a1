/**
 * The gateway's policy pipelines: the registry of policy types, the named instances of a
 * config, each route's compiled step list (gateway-wide lists + the route's, minus its
 * `exclude`), the compile-time checks by config path, and each request's policy environment
 * (`policyEnv`); `explain()` prints the result (explain.ts). The run loop itself is
 * core's {@link PipelineRun} (shared with `@switchyard/testing`'s harness).
 *
 * Where the pipeline sits in a request (docs/architecture.md):
 *
 *     normalize → route ─▶ [gateway-wide inbound → route inbound] ─▶ fault → limit → redirect
 *       → experiment → split (skipped if a policy picked a backend) → … → forward
 *       ◀─ [route outbound → route inbound unwound → gateway-wide outbound → gateway-wide unwound] ◀─ response
 *
 * A route with no policies (and no gateway-wide ones) compiles to `pipeline: undefined`: the
 * request path is exactly the one without policies (one `undefined` check).
 */
import type { ErrorsConfig } from './error-format.js';
import {
  ConfigError,
  IDENTITY_ATTRIBUTE,
  cidrContains,
  compileLayers,
  isSwitchyardError,
  parseCidr,
  parseIp,
  type Cidr,
  type Clock,
  type CompiledPipeline,
  type ConfigIssue,
  type Identity,
  type Policy,
  type PolicyCapability,
  type PolicyDefinition,
  type PipelineStep,
  type Rng,
  type SyRequest,
  type Transport,
} from '@switchyard/core';
import { BUILTIN_POLICIES } from '@switchyard/policies';
import type { LimitKeySource } from '@switchyard/limiter';
import type { GatewayConfig, PolicyInstanceConfig, PolicyWhen, RouteConfig } from './config.js';
import { suggestKey } from './internal/did-you-mean.js';
import { lowerCased } from './request-shape.js';

/** One instance of the config, built once per config (per reload). */
export interface PolicyInstance {
  readonly name: string;
  readonly type: string;
  readonly policy: Policy;
  readonly step: PipelineStep;
  /** The config's `errors` override for this instance (for the error formatter), if any. */
  readonly errors: ErrorsConfig | undefined;
  /** The config's `when`, as written (for `explain`). */
  readonly when: PolicyWhen | undefined;
}

/** The policies of one compiled config. */
export interface PolicySet {
  readonly instances: ReadonlyMap<string, PolicyInstance>;
  /** The gateway-wide lists (after their own checks). */
  readonly gatewayInbound: readonly string[];
  readonly gatewayOutbound: readonly string[];
  /** Pipeline for responses with no route (400 before routing, 404): gateway-wide finalizers only. */
  readonly unrouted: CompiledPipeline | undefined;
}

/** What compiling policies needs from the gateway. */
export interface PolicyCompileDeps {
  readonly clock: Clock;
  readonly rng: Rng;
  readonly transport: Transport;
  /** Custom policy types (`GatewayDeps.policies`). */
  readonly policies?: readonly PolicyDefinition<unknown>[] | undefined;
  /** Whether a geo source is configured (it provides `geo` to every step). */
  readonly hasGeoSource?: boolean | undefined;
}

/** A route's compiled lists, for `explain`. */
export interface RoutePolicies {
  readonly pipeline: CompiledPipeline | undefined;
  /** Effective inbound names (gateway-wide then the route's). */
  readonly inbound: readonly string[];
  /** Whether some inbound policy provides identity (for identity-keyed limits). */
  readonly providesIdentity: boolean;
}

/** `policies.<name>` with a quoted key when the name is not an identifier. */
export function policyPath(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `policies.${name}` : `policies[${JSON.stringify(name)}]`;
}

function formatIssuePath(path: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined): string {
  let out = '';
  for (const item of path ?? []) {
    const k = typeof item === 'object' && item !== null ? item.key : item;
    if (typeof k === 'number') out += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k)) out += `.${k}`;
    else out += `[${JSON.stringify(String(k))}]`;
  }
  return out;
}

/** The registry: built-ins, then the custom types (which may not shadow a built-in). */
function registry(custom: readonly PolicyDefinition<unknown>[] | undefined, issues: ConfigIssue[]): Map<string, PolicyDefinition<unknown>> {
  const types = new Map<string, PolicyDefinition<unknown>>(Object.entries(BUILTIN_POLICIES) as [string, PolicyDefinition<unknown>][]);
  const customSeen = new Set<string>();
  (custom ?? []).forEach((def, i) => {
    if (typeof def?.type !== 'string' || typeof def.create !== 'function') {
      issues.push({ path: `deps.policies[${i}]`, message: 'is not a policy definition (definePolicy({ type, create }))' });
      return;
    }
    if (Object.prototype.hasOwnProperty.call(BUILTIN_POLICIES, def.type)) issues.push({ path: `deps.policies[${i}].type`, message: `${JSON.stringify(def.type)} is a built-in policy type: a custom type may not shadow it (choose another name)` });
    else if (customSeen.has(def.type)) issues.push({ path: `deps.policies[${i}].type`, message: `duplicate custom policy type ${JSON.stringify(def.type)}` });
    else types.set(def.type, def);
    customSeen.add(def.type);
  });
  return types;
}

/** Hints for types that live in their own package (they bring dependencies the core packages must not have). */
const PACKAGED_TYPES: Readonly<Record<string, string>> = Object.freeze({
  jwt: "register it: import { jwtPolicy } from '@switchyard/jwt' and pass it in deps.policies",
});

function unknownTypeMessage(type: string, known: readonly string[]): string {
  const hint = PACKAGED_TYPES[type];
  if (hint !== undefined) return `unknown policy type ${JSON.stringify(type)}: ${hint}`;
  const near = suggestKey(type, known);
  return `unknown policy type ${JSON.stringify(type)}${near !== undefined ? ` (did you mean ${JSON.stringify(near)}?)` : ''}${known.length === 0 ? ' (no policy type is registered: pass custom types in deps.policies)' : ''}`;
}

/**
 * Compiles a declarative `when` into a predicate over the request (method, path prefix, one
 * header: AND of what is given; `not` inverts).
 */
export function compileWhen(when: PolicyWhen | undefined): ((request: SyRequest) => boolean) | undefined {
  if (when === undefined) return undefined;
  const methods = when.method === undefined ? undefined : (typeof when.method === 'string' ? [when.method] : when.method).map((m) => m.toUpperCase());
  const prefixes = when.pathPrefix === undefined ? undefined : typeof when.pathPrefix === 'string' ? [when.pathPrefix] : when.pathPrefix;
  const header = when.header === undefined ? undefined : { name: lowerCased(when.header.name), present: when.header.present ?? true, value: when.header.value };
  const invert = when.not === true;
  return (request) => {
    let ok = true;
    if (methods !== undefined && !methods.includes(request.method)) ok = false;
    else if (prefixes !== undefined && !prefixes.some((p) => pathHasPrefix(request.path, p))) ok = false;
    else if (header !== undefined) {
      const v = request.headers[header.name];
      if (header.value !== undefined) ok = v === header.value;
      else ok = header.present ? v !== undefined : v === undefined;
    }
    return ok !== invert;
  };
}

/** Gateway API PathPrefix semantics: `/api` matches `/api` and `/api/x`, not `/apix`. */
function pathHasPrefix(path: string, prefix: string): boolean {
  if (prefix === '/' || prefix === '') return true;
  const p = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === p || path.startsWith(`${p}/`);
}

/**
 * Builds every instance of `config.policies` (validating options through each type's Standard
 * Schema) and checks the gateway-wide lists. Instances built for a config that then fails to
 * compile are closed by the caller ({@link closePolicies}).
 */
export function compilePolicies(config: GatewayConfig, deps: PolicyCompileDeps, issues: ConfigIssue[], warnings: ConfigIssue[]): PolicySet {
  const types = registry(deps.policies, issues);
  const known = [...types.keys()];
  const configs = config.policies ?? {};
  const instances = new Map<string, PolicyInstance>();
  const building = new Set<string>();
  const referencedByPolicy = new Set<string>();

  const build = (name: string): PolicyInstance | undefined => {
    const existing = instances.get(name);
    if (existing !== undefined) return existing;
    if (!Object.prototype.hasOwnProperty.call(configs, name)) return undefined;
    const at = policyPath(name);
    if (building.has(name)) {
      issues.push({ path: at, message: 'refers to itself through deps.policy(): a cycle of composite policies' });
      return undefined;
    }
    const c = configs[name] as PolicyInstanceConfig;
    const def = types.get(c.type);
    if (def === undefined) {
      issues.push({ path: `${at}.type`, message: unknownTypeMessage(c.type, known) });
      return undefined;
    }
    let options: unknown = c.options;
    const schema = def.options;
    if (schema !== undefined) {
      let result: ReturnType<typeof schema['~standard']['validate']>;
      try {
        result = schema['~standard'].validate(c.options ?? {});
      } catch (err) {
        issues.push({ path: `${at}.options`, message: `could not be validated: ${err instanceof Error ? err.message : String(err)}` });
        return undefined;
      }
      if (typeof (result as { then?: unknown }).then === 'function') {
        (result as Promise<unknown>).catch(() => {});
        issues.push({ path: `${at}.options`, message: `the ${JSON.stringify(c.type)} options schema validates asynchronously: only synchronous validation is supported` });
        return undefined;
      }
      const r = result as Exclude<typeof result, Promise<unknown>>;
      if (r.issues !== undefined) {
        for (const issue of r.issues) issues.push({ path: `${at}.options${formatIssuePath(issue.path)}`, message: issue.message });
        return undefined;
      }
      options = r.value;
    }
    building.add(name);
    let policy: Policy | undefined;
    try {
      policy = def.create(options, {
        name,
        clock: deps.clock,
        rng: deps.rng,
        transport: deps.transport,
        policy: (other) => {
          referencedByPolicy.add(other);
          return build(other)?.policy;
        },
      });
    } catch (err) {
      if (err instanceof ConfigError) for (const i of err.issues) issues.push({ path: i.path === '' || i.path === '(root)' ? `${at}.options` : `${at}.options.${i.path.replace(/^\./, '')}`, message: i.message });
      else issues.push({ path: at, message: `could not be created: ${isSwitchyardError(err) || err instanceof Error ? err.message : String(err)}` });
      return undefined;
    } finally {
      building.delete(name);
    }
    if (typeof policy !== 'object' || policy === null || (policy.inbound === undefined && policy.outbound === undefined)) {
      issues.push({ path: at, message: `type ${JSON.stringify(c.type)} created no policy (it needs an inbound or an outbound function)` });
      return undefined;
    }
    const instance: PolicyInstance = Object.freeze({
      name,
      type: c.type,
      policy,
      step: Object.freeze({ name, policy, when: compileWhen(c.when) }),
      errors: c.errors,
      when: c.when,
    });
    instances.set(name, instance);
    return instance;
  };
  for (const name of Object.keys(configs)) build(name);

  const gatewayInbound = checkList(config.pipeline?.inbound ?? [], 'pipeline.inbound', configs, instances, issues, new Set());
  const seen = new Set(gatewayInbound);
  const gatewayOutbound = checkList(config.pipeline?.outbound ?? [], 'pipeline.outbound', configs, instances, issues, seen, true);
  checkRequires(gatewayInbound, gatewayOutbound, 'pipeline', instances, deps.hasGeoSource === true, issues);

  // Instances nothing refers to: built (their options checked) but never run.
  const used = new Set<string>([...gatewayInbound, ...gatewayOutbound, ...referencedByPolicy]);
  for (const r of config.routes) for (const n of [...(r.policies?.inbound ?? []), ...(r.policies?.outbound ?? [])]) used.add(n);
  for (const name of Object.keys(configs)) if (!used.has(name)) warnings.push({ path: policyPath(name), message: 'is not used: no route and no gateway-wide pipeline list names it' });

  const finalizers = (names: readonly string[]): PipelineStep[] =>
    names.map((n) => instances.get(n)).filter((i): i is PolicyInstance => i !== undefined && i.policy.finalizer === true && i.policy.outbound !== undefined).map((i) => i.step);
  const unroutedIn = finalizers(gatewayInbound);
  const unroutedOut = finalizers(gatewayOutbound);
  // No inbound ran for a request with no route: the gateway-wide finalizers are all response-only here.
  const unrouted = unroutedIn.length + unroutedOut.length === 0 ? undefined : compileLayers([{ inbound: [], outbound: [...unroutedOut, ...unroutedIn.reverse()] }]);
  return { instances, gatewayInbound, gatewayOutbound, unrouted };
}

/** Checks one list of names: known instances, no duplicates (also against `seen`), outbound lists' policies have an outbound side. */
function checkList(
  names: readonly string[],
  at: string,
  configs: Readonly<Record<string, PolicyInstanceConfig>>,
  instances: ReadonlyMap<string, PolicyInstance>,
  issues: ConfigIssue[],
  seen: Set<string>,
  outbound = false,
): string[] {
  const out: string[] = [];
  names.forEach((name, j) => {
    const path = `${at}[${j}]`;
    if (!Object.prototype.hasOwnProperty.call(configs, name)) {
      const near = suggestKey(name, Object.keys(configs));
      issues.push({ path, message: `unknown policy ${JSON.stringify(name)}${near !== undefined ? ` (did you mean ${JSON.stringify(near)}?)` : ''}: name an entry of the top-level policies` });
      return;
    }
    if (seen.has(name)) {
      issues.push({ path, message: `policy ${JSON.stringify(name)} is listed twice in this route's pipeline (gateway-wide lists included): a policy instance runs once per request` });
      return;
    }
    seen.add(name);
    const instance = instances.get(name);
    if (instance === undefined) return; // its own issues are reported at policies.<name>
    if (outbound && instance.policy.outbound === undefined) issues.push({ path, message: `policy ${JSON.stringify(name)} (type ${JSON.stringify(instance.type)}) has no outbound side: list it under inbound` });
    out.push(name);
  });
  return out;
}

/** A policy missing a capability: where (`in`bound or `out`bound list, index) and what. */
interface Missing {
  readonly list: 'in' | 'out';
  readonly index: number;
  readonly name: string;
  readonly caps: readonly PolicyCapability[];
}

/**
 * Ordering checks (`policies.md` §7 #2: a per-consumer limit before auth has no consumer): a
 * policy that `requires` a capability needs one that `provides` it earlier in the inbound list
 * (for a response-only policy: anywhere in the inbound list). A geo source provides `geo`.
 */
function missingCapabilities(inbound: readonly string[], outbound: readonly string[], instances: ReadonlyMap<string, PolicyInstance>, hasGeo: boolean): Missing[] {
  const provided = new Set<PolicyCapability>(hasGeo ? ['geo'] : []);
  const out: Missing[] = [];
  const lacking = (policy: Policy): PolicyCapability[] => (policy.requires ?? []).filter((c) => !provided.has(c));
  inbound.forEach((name, index) => {
    const p = instances.get(name)?.policy;
    if (p === undefined) return;
    const caps = lacking(p);
    if (caps.length > 0) out.push({ list: 'in', index, name, caps });
    for (const c of p.provides ?? []) provided.add(c);
  });
  outbound.forEach((name, index) => {
    const p = instances.get(name)?.policy;
    if (p === undefined) return;
    const caps = lacking(p);
    if (caps.length > 0) out.push({ list: 'out', index, name, caps });
  });
  return out;
}

function missingMessage(m: Missing): string {
  const where = m.list === 'in' ? 'before it' : 'in the inbound list';
  return `policy ${JSON.stringify(m.name)} requires ${m.caps.join(', ')}, but no policy that provides ${m.caps.length === 1 ? 'it' : 'them'} runs ${where}${m.caps.includes('identity') ? ' (put an auth policy first)' : ''}`;
}

function checkRequires(inbound: readonly string[], outbound: readonly string[], at: string, instances: ReadonlyMap<string, PolicyInstance>, hasGeo: boolean, issues: ConfigIssue[]): void {
  for (const m of missingCapabilities(inbound, outbound, instances, hasGeo)) issues.push({ path: `${at}.${m.list === 'in' ? 'inbound' : 'outbound'}[${m.index}]`, message: missingMessage(m) });
}

/**
 * A route's effective pipeline: the gateway-wide lists minus `exclude`, then the route's own,
 * checked by path. `undefined` pipeline when nothing runs (today's path, untouched).
 */
export function compileRoutePolicies(route: RouteConfig, at: string, set: PolicySet, configs: GatewayConfig['policies'], hasGeo: boolean, issues: ConfigIssue[], warnings?: ConfigIssue[]): RoutePolicies {
  const rp = route.policies;
  const exclude = new Set<string>();
  (rp?.exclude ?? []).forEach((name, j) => {
    if (!set.gatewayInbound.includes(name) && !set.gatewayOutbound.includes(name)) {
      issues.push({ path: `${at}.policies.exclude[${j}]`, message: `${JSON.stringify(name)} is not in the gateway-wide pipeline lists: exclude removes gateway-wide entries only` });
    }
    exclude.add(name);
  });
  const gIn = set.gatewayInbound.filter((n) => !exclude.has(n));
  const gOut = set.gatewayOutbound.filter((n) => !exclude.has(n));
  const seen = new Set<string>([...gIn, ...gOut]);
  const all = configs ?? {};
  const rIn = checkList(rp?.inbound ?? [], `${at}.policies.inbound`, all, set.instances, issues, seen);
  const rOut = checkList(rp?.outbound ?? [], `${at}.policies.outbound`, all, set.instances, issues, seen, true);
  const inbound = [...gIn, ...rIn];
  // Gateway-wide entries were checked at `pipeline.*`; one that lacks a capability only here
  // lost its provider to this route's `exclude`.
  for (const m of missingCapabilities(inbound, rOut, set.instances, hasGeo)) {
    if (m.list === 'out') issues.push({ path: `${at}.policies.outbound[${(rp?.outbound ?? []).indexOf(m.name)}]`, message: missingMessage(m) });
    else if (m.index >= gIn.length) issues.push({ path: `${at}.policies.inbound[${(rp?.inbound ?? []).indexOf(m.name)}]`, message: missingMessage(m) });
    else if (!missingCapabilities(set.gatewayInbound, [], set.instances, hasGeo).some((g) => g.name === m.name)) issues.push({ path: `${at}.policies.exclude`, message: `${missingMessage(m)}: this route excludes its provider` });
  }
  const providesIdentity = inbound.some((n) => set.instances.get(n)?.policy.provides?.includes('identity') === true);
  if (warnings !== undefined) corsAfterAuth(inbound, gIn.length, set.gatewayInbound, rp?.inbound ?? [], at, set.instances, warnings);
  if (inbound.length + gOut.length + rOut.length === 0) return { pipeline: undefined, inbound, providesIdentity };
  const steps = (names: readonly string[]): PipelineStep[] => names.map((n) => set.instances.get(n)?.step).filter((s): s is PipelineStep => s !== undefined);
  const pipeline = compileLayers([
    { inbound: steps(gIn), outbound: steps(gOut) },
    { inbound: steps(rIn), outbound: steps(rOut) },
  ]);
  return { pipeline, inbound, providesIdentity };
}

/**
 * A `cors` policy after an auth policy (one that `provides: ['identity']`) in a route's effective
 * inbound list: the browser's preflight (`OPTIONS`, sent without credentials, Fetch spec
 * §3.2.3 "CORS-preflight request") reaches the auth policy first and is refused, so the browser
 * never sees the CORS headers. Valid config (a custom auth may let `OPTIONS` through), hence a
 * warning, reported at the cors entry (its route list index, or `pipeline.inbound[i]`).
 */
function corsAfterAuth(inbound: readonly string[], gatewayCount: number, gatewayInbound: readonly string[], routeInbound: readonly string[], at: string, instances: ReadonlyMap<string, PolicyInstance>, warnings: ConfigIssue[]): void {
  let auth: string | undefined;
  inbound.forEach((name, index) => {
    const p = instances.get(name)?.policy;
    if (p === undefined) return;
    if (p.type === 'cors' && auth !== undefined) {
      // A gateway-wide cors after a gateway-wide auth is reported once, at pipeline.inbound.
      const path = index >= gatewayCount ? `${at}.policies.inbound[${routeInbound.indexOf(name)}]` : `pipeline.inbound[${gatewayInbound.indexOf(name)}]`;
      const message = `cors policy ${JSON.stringify(name)} runs after the auth policy ${JSON.stringify(auth)}: a CORS preflight (OPTIONS, no credentials) is refused by auth before cors can answer it; list cors first`;
      if (!warnings.some((w) => w.path === path && w.message === message)) warnings.push({ path, message });
    }
    if (auth === undefined && p.provides?.includes('identity') === true) auth = name;
  });
}

/** Closes every instance of a set (errors are ignored: closing must not fail a reload or stop). */
export async function closePolicies(set: PolicySet | undefined): Promise<void> {
  if (set === undefined) return;
  await Promise.all(
    [...set.instances.values()].map(async (i) => {
      try {
        await i.policy.close?.();
      } catch {
        // A policy's close() failing must not stop the others.
      }
    }),
  );
}

/**
 * A limiter key source reading the caller's identity from `attributes.identity`: `sub`, or
 * `data.<field>` (dotted path into `data`). Strings and finite numbers only.
 */
export function identityKey(path: string): LimitKeySource | string {
  const parts = path.split('.');
  if (path === 'sub') {
    return (req) => {
      const id = req.attributes[IDENTITY_ATTRIBUTE] as Identity | undefined;
      return typeof id?.sub === 'string' ? id.sub : undefined;
    };
  }
  if (parts[0] !== 'data' || parts.length < 2 || parts.some((p) => p === '')) return "must be 'sub' or 'data.<field>' (the identity a policy set: { sub, data })";
  const fields = parts.slice(1);
  return (req) => {
    const id = req.attributes[IDENTITY_ATTRIBUTE] as Identity | undefined;
    let v: unknown = id?.data;
    for (const f of fields) {
      if (typeof v !== 'object' || v === null || !Object.prototype.hasOwnProperty.call(v, f)) return undefined;
      v = (v as Record<string, unknown>)[f];
    }
    return typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
  };
}

/**
 * Whether the TCP peer is one of `clientIdentity`'s trusted proxies (for hops: any peer is, as
 * the limiter's resolver trusts the last `trustedHops` entries whoever sent them).
 */
export function trustedPeerOf(clientIdentity: GatewayConfig['clientIdentity']): (request: SyRequest) => boolean {
  if (clientIdentity === undefined) return () => false;
  const ci = clientIdentity as { readonly trustedProxies?: readonly string[]; readonly trustedHops?: number };
  if (ci.trustedHops !== undefined) {
    const hops = ci.trustedHops;
    return () => hops > 0;
  }
  const cidrs = (ci.trustedProxies ?? []).map((c) => parseCidr(c)).filter((c): c is Cidr => c !== undefined);
  return (request) => {
    const ip = request.clientAddress === undefined ? undefined : parseIp(request.clientAddress);
    return ip !== undefined && cidrs.some((c) => cidrContains(c, ip));
  };
}

export { explainRoute, type ExplainedStep, type RouteExplanation } from './explain.js';
