/**
 * The `cors` policy both Kubernetes formats import into (Gateway API's `CORS` filter, Istio's
 * `corsPolicy`): its options built from what each format's reader validated, and the named
 * policy a route gets once its name is known. Each reader keeps its own validation (the two
 * formats spell and bound the fields differently).
 */
import type { ImportContext } from './context.js';
import type { ImportedRoute } from '../types.js';

/** CORS settings as a reader validated them; empty lists and absent values are left out of the options. */
export interface CorsParts {
  readonly origins: readonly string[];
  readonly methods: readonly string[];
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly credentials: boolean | undefined;
  readonly maxAgeSeconds: number | undefined;
}

/** The options of the built-in `cors` policy. */
export function corsOptions(p: CorsParts): Record<string, unknown> {
  return {
    origins: p.origins,
    ...(p.methods.length > 0 ? { methods: p.methods } : {}),
    ...(p.allowHeaders.length > 0 ? { allowHeaders: p.allowHeaders } : {}),
    ...(p.exposeHeaders.length > 0 ? { exposeHeaders: p.exposeHeaders } : {}),
    ...(p.credentials !== undefined ? { credentials: p.credentials } : {}),
    ...(p.maxAgeSeconds !== undefined ? { maxAgeSeconds: p.maxAgeSeconds } : {}),
  };
}

/** A route being built, with the CORS options a reader left on it until the route is named. */
type Draft = { -readonly [K in keyof ImportedRoute]: ImportedRoute[K] } & { corsOptions?: Record<string, unknown> };

/** Keeps `options` on the draft route until {@link attachCorsPolicy} names its policy. */
export function setCorsOptions(route: ImportedRoute, options: Record<string, unknown>): void {
  (route as Draft).corsOptions = options;
}

/** Turns the CORS options left on a now-named route into the policy `cors:<route name>` and the route's reference to it. */
export function attachCorsPolicy(ctx: ImportContext, route: Draft): void {
  const cors = route.corsOptions;
  if (cors === undefined) return;
  delete route.corsOptions;
  const policyName = `cors:${route.name}`;
  ctx.policies[policyName] = { type: 'cors', options: cors };
  route.policies = { inbound: [policyName] };
}
