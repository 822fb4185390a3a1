/**
 * Endpoints: an upstream address with weight, locality, priority and metadata, and its validation.
 */

import { ConfigError, type ConfigIssue } from './config.js';

/** Where an endpoint runs, as Envoy's `Locality`. */
export interface Locality {
  readonly region?: string | undefined;
  readonly zone?: string | undefined;
  readonly subZone?: string | undefined;
}

/**
 * One upstream instance. Identity is `id`: balancer and health state is keyed by it, so an
 * endpoint that stays across a config reload keeps its EWMA, in-flight count and ejections.
 */
export interface Endpoint {
  /** Stable identity, unique within its upstream group. */
  readonly id: string;
  /** Origin URL: scheme, host and port only (`http://10.0.0.7:8080`). */
  readonly url: string;
  /** Relative capacity (Envoy `load_balancing_weight`), a positive integer; default 1. */
  readonly weight: number;
  /** Priority level, 0 highest (Envoy priorities); default 0. */
  readonly priority: number;
  readonly locality: Locality;
  /** Free-form labels: `version: v2`, `canary: true`, … (subsets select on these). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** What a user writes to describe an endpoint; defaults are filled by {@link createEndpoint}. */
export interface EndpointInput {
  readonly id?: string | undefined;
  readonly url: string;
  readonly weight?: number | undefined;
  readonly priority?: number | undefined;
  readonly locality?: Locality | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

/**
 * Validates `input` and returns a frozen {@link Endpoint} with defaults filled in
 * (`id` = the URL's origin, weight 1, priority 0). Problems are appended to `issues`
 * with paths under `path` when given; otherwise a {@link ConfigError} is thrown.
 *
 * @example
 * ```ts
 * import { createEndpoint } from '@switchyard/core';
 * const e = createEndpoint({ url: 'http://127.0.0.1:8080', weight: 2, metadata: { version: 'v1' } });
 * e.id; // 'http://127.0.0.1:8080'
 * ```
 */
export function createEndpoint(input: EndpointInput, path = 'endpoint', issues?: ConfigIssue[]): Endpoint {
  const local: ConfigIssue[] = issues ?? [];
  const before = local.length;
  let origin = '';
  if (typeof input?.url !== 'string') {
    local.push({ path: `${path}.url`, message: 'must be a URL string' });
  } else {
    const parsed = parseOrigin(input.url);
    if (parsed === undefined) local.push({ path: `${path}.url`, message: `must be an http(s) origin like http://host:port, got ${JSON.stringify(input.url)}` });
    else origin = parsed;
  }
  const weight = input?.weight ?? 1;
  if (!Number.isInteger(weight) || weight < 1) local.push({ path: `${path}.weight`, message: 'must be an integer >= 1' });
  const priority = input?.priority ?? 0;
  if (!Number.isInteger(priority) || priority < 0) local.push({ path: `${path}.priority`, message: 'must be an integer >= 0' });
  const id = input?.id ?? origin;
  if (typeof id !== 'string' || id.length === 0) local.push({ path: `${path}.id`, message: 'must be a non-empty string' });
  if (issues === undefined && local.length > before) throw new ConfigError(local);
  return Object.freeze({
    id,
    url: origin,
    weight,
    priority,
    locality: Object.freeze({ ...(input?.locality ?? {}) }),
    metadata: Object.freeze({ ...(input?.metadata ?? {}) }),
  });
}

/** `scheme://host[:port]` of an http(s) URL with no path beyond `/`, or undefined. */
function parseOrigin(url: string): string | undefined {
  const m = /^(https?):\/\/(\[[0-9a-fA-F:.]+\]|[^/?#@\s[\]:]+)(:\d{1,5})?\/?$/.exec(url);
  if (m === null) return undefined;
  const port = m[3] === undefined ? '' : m[3];
  if (port !== '' && Number(port.slice(1)) > 65535) return undefined;
  return `${m[1]}://${(m[2] ?? '').toLowerCase()}${port}`;
}
