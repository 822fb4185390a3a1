/**
 * The backend resolver: manifests name services (`reviews` in namespace `default` on port 9080,
 * an Istio `host` + `subset`, an OpenAPI server URL); switchyard needs upstream groups of
 * endpoint URLs. The caller says which is which, with a static map or a function
 * (fleet-and-import.md §5.3: "import takes a resolver").
 */
import type { EndpointInput } from '@switchyard/core';
import type { UpstreamConfig } from '@switchyard/gateway';
import type { BackendRef, ImportOptions, ImportOrigin, ResolvedEndpoints } from './types.js';
import type { Sink } from './internal/util.js';

/** The keys a static map is searched with, most specific first. */
export function serviceKeys(ref: Extract<BackendRef, { kind: 'service' }>): string[] {
  const base = `${ref.name}.${ref.namespace}`;
  const keys: string[] = [];
  if (ref.host !== undefined) keys.push(ref.host);
  if (ref.port !== undefined) keys.push(`${base}:${ref.port}`);
  keys.push(base, ref.name);
  return keys;
}

/** Endpoint inputs from what a resolver answered (a URL string is `{ url }`). */
function endpointsOf(list: ResolvedEndpoints): EndpointInput[] {
  return list.map((e) => (typeof e === 'string' ? { url: e } : { ...e }));
}

function labelsMatch(e: EndpointInput, labels: Readonly<Record<string, string>>): boolean {
  const md = (e as { metadata?: Readonly<Record<string, string>> }).metadata;
  return Object.entries(labels).every(([k, v]) => md !== undefined && Object.prototype.hasOwnProperty.call(md, k) && md[k] === v);
}

/**
 * Builds the `upstreams` map as routes name services. One upstream per resolved name (and per
 * Istio subset: `reviews.default/v1`, so that a subset's own traffic policy has somewhere to go).
 */
export class UpstreamBuilder {
  readonly upstreams: Record<string, UpstreamConfig> = Object.create(null) as Record<string, UpstreamConfig>;
  private readonly options: ImportOptions;

  constructor(options: ImportOptions) {
    this.options = options;
  }

  private lookup(ref: BackendRef, keys: readonly string[]): { key: string; endpoints: ResolvedEndpoints } | undefined {
    const r = this.options.backends;
    if (r === undefined) return undefined;
    if (typeof r === 'function') {
      const found = r(ref);
      if (found === undefined) return undefined;
      return { key: keys[0] ?? '', endpoints: found };
    }
    for (const key of keys) {
      if (Object.prototype.hasOwnProperty.call(r, key)) return { key, endpoints: r[key] as ResolvedEndpoints };
    }
    return undefined;
  }

  /** Where each upstream was first named. */
  readonly origins: Record<string, ImportOrigin> = Object.create(null) as Record<string, ImportOrigin>;

  private add(name: string, endpoints: EndpointInput[], sink: Sink, path: string): void {
    if (Object.prototype.hasOwnProperty.call(this.upstreams, name)) return;
    this.upstreams[name] = { ...(this.options.upstreamDefaults ?? {}), endpoints };
    this.origins[name] = { document: sink.doc, path };
  }

  /**
   * The upstream for a service (and subset), created on first use; undefined (with a problem,
   * or a placeholder and a warning) when the resolver does not know the name.
   */
  service(sink: Sink, path: string, ref: Extract<BackendRef, { kind: 'service' }>, subset?: { readonly name: string; readonly labels: Readonly<Record<string, string>> }): string | undefined {
    const keys = serviceKeys(ref);
    if (subset !== undefined) {
      // An explicit `reviews.default/v1` entry wins over filtering by labels.
      const direct = this.lookup(ref, keys.map((k) => `${k}/${subset.name}`));
      if (direct !== undefined && typeof this.options.backends !== 'function') {
        this.add(direct.key, endpointsOf(direct.endpoints), sink, path);
        return direct.key;
      }
    }
    const found = this.lookup(ref, keys);
    const fqdn = `${ref.name}.${ref.namespace}.svc.${this.options.clusterDomain ?? 'cluster.local'}`;
    let name: string;
    let endpoints: EndpointInput[];
    if (found === undefined) {
      const shown = ref.host ?? `${ref.name}.${ref.namespace}${ref.port === undefined ? '' : `:${ref.port}`}`;
      if (this.options.unresolved !== 'placeholder') {
        sink.problem(path, `backend ${JSON.stringify(shown)} is not resolved: map it in the import's \`backends\` (\`--backend name=url\` on the command line; keys tried: ${keys.map((k) => JSON.stringify(k)).join(', ')})`);
        return undefined;
      }
      name = keys[keys.length - 2] ?? shown;
      const host = ref.host ?? fqdn;
      endpoints = [{ url: `http://${host}${ref.port === undefined ? '' : `:${ref.port}`}` }];
      sink.warn(path, `backend ${JSON.stringify(shown)} is not resolved: placeholder upstream ${JSON.stringify(name)} → ${endpoints[0]?.url ?? ''}`);
    } else {
      name = typeof this.options.backends === 'function' ? (ref.host ?? `${ref.name}.${ref.namespace}${ref.port === undefined ? '' : `:${ref.port}`}`) : found.key;
      endpoints = endpointsOf(found.endpoints);
    }
    if (subset === undefined) {
      this.add(name, endpoints, sink, path);
      return name;
    }
    const picked = endpoints.filter((e) => labelsMatch(e, subset.labels));
    if (picked.length === 0) {
      sink.problem(
        path,
        `subset ${JSON.stringify(subset.name)} selects no endpoint of ${JSON.stringify(name)}: give endpoints with metadata ${JSON.stringify(subset.labels)} or a ${JSON.stringify(`${name}/${subset.name}`)} entry in \`backends\``,
      );
      return undefined;
    }
    const subName = `${name}/${subset.name}`;
    this.add(subName, picked, sink, path);
    return subName;
  }

  /** The upstream for an OpenAPI server URL: the resolver's entry, else the URL's own origin. */
  url(sink: Sink, path: string, url: string): string | undefined {
    const found = this.lookup({ kind: 'url', url }, [url]);
    if (found !== undefined) {
      this.add(url, endpointsOf(found.endpoints), sink, path);
      return url;
    }
    // No URL global in the runtime-neutral lib: an origin is scheme://authority.
    const m = /^(https?):\/\/([^/?#@\s]+)(?:[/?#]|$)/i.exec(url);
    if (m === null) {
      sink.problem(path, `server ${JSON.stringify(url)} is not an absolute http(s) URL and is not in the import's \`backends\``);
      return undefined;
    }
    const origin = `${(m[1] as string).toLowerCase()}://${(m[2] as string).toLowerCase()}`;
    this.add(origin, [{ url: origin }], sink, path);
    return origin;
  }

  /** Merges `policy` into an upstream (DestinationRule traffic policy). */
  configure(name: string, policy: Omit<UpstreamConfig, 'endpoints'>): void {
    const u = this.upstreams[name];
    if (u === undefined) return;
    this.upstreams[name] = { ...u, ...policy };
  }
}
