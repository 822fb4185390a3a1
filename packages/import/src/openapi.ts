/**
 * OpenAPI 3.x documents as switchyard routes: one route per operation.
 *
 * Rules from the OpenAPI Specification (3.0.x / 3.1.x "Paths Object", "Server Object"):
 * - a path key "MUST begin with a forward slash" and is appended to the server URL (variables
 *   substituted with their `default`); `servers` may be overridden per path item and per operation;
 * - "concrete (non-templated) paths would be matched before their templated counterparts": routes
 *   are emitted concrete first, then templated, each group in document order, under first-match
 *   selection (as API gateways that read OpenAPI route files do: Zuplo, Tyk);
 * - templates `{id}` become `:id` segments (switchyard's `Template` path); a segment mixing text
 *   and parameters (`/files/{name}.{ext}`) becomes a regular expression with named groups.
 *
 * Gateway settings come from an `x-switchyard` extension on the document, the path item and the
 * operation, inherited downwards key by key (the operation wins): any route key of switchyard's
 * config (`timeoutMs`, `retry`, `limits`, `rewrite`, `backends`, `policies`, …), plus, on the
 * document only, `config` (`upstreams`, `limits`, `policies` and other top-level keys merged into
 * the result) and `basePath` (where the gateway serves the API). Every problem is reported by JSON
 * pointer (`#/paths/~1users~1{id}/get/x-switchyard/timeoutMs`).
 */
import { structuralIssues, type BackendConfig, type RouteConfig } from '@switchyard/gateway';
import type { ImportContext, SourcedDocument } from './internal/context.js';
import { uniqueRouteName } from './internal/context.js';
import { get, isObj, sinkFor, type Obj, type Sink } from './internal/util.js';
import type { DocumentRef, ImportedRoute } from './types.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
/** Keys of `x-switchyard` that are route settings (everything but `name` and `matches`, which the document gives). */
const ROUTE_KEYS = ['hostnames', 'backends', 'split', 'rollout', 'experiment', 'rewrite', 'redirect', 'limits', 'timeoutMs', 'perTryTimeoutMs', 'idleTimeoutMs', 'propagateDeadline', 'retry', 'hedge', 'mirror', 'fault', 'priority', 'policies', 'sessionPersistence'];
const ROOT_ONLY = ['config', 'basePath'];

/** A JSON pointer segment (RFC 6901). */
export const pointerSegment = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
const ptr = (...segs: (string | number)[]): string => `#/${segs.map((s) => pointerSegment(String(s))).join('/')}`;

interface Level {
  readonly ext: Obj | undefined;
  readonly pointer: string;
}

/** The OpenAPI document's reference in messages (`OpenAPI "Orders API" (orders.yaml)`). */
function openApiRef(doc: unknown, src: SourcedDocument): DocumentRef {
  const title = get(get(doc, 'info'), 'title');
  return { kind: 'OpenAPI', ...(typeof title === 'string' ? { name: title } : {}), ...(src.file !== undefined ? { file: src.file } : {}), ...(src.index !== undefined ? { index: src.index } : {}) };
}

/** Imports OpenAPI documents, in the order given; top-level `x-switchyard.config` keys go to `extra`. */
export function openApiRoutes(ctx: ImportContext, sources: readonly SourcedDocument[], extra: Record<string, unknown> = {}): ImportedRoute[] {
  const routes: ImportedRoute[] = [];
  for (const src of sources) routes.push(...openApiDocument(ctx, src, extra));
  return routes;
}

/** Converts an OpenAPI path template to a switchyard path match; undefined (with a problem) when it cannot. */
export function pathMatch(path: string): { type: 'Exact' | 'Template' | 'RegularExpression'; value: string; params: string[] } | string {
  if (!path.startsWith('/')) return 'a path must begin with a forward slash (OpenAPI Paths Object)';
  if (path.includes('?') || path.includes('#')) return 'a path must not contain a query string or fragment';
  const segs = path.split('/').slice(1);
  const params: string[] = [];
  let regex = false;
  for (const s of segs) {
    const names = [...s.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] as string);
    if (s.replace(/\{[^{}]*\}/g, '').includes('{') || s.replace(/\{[^{}]*\}/g, '').includes('}')) return `unbalanced braces in segment ${JSON.stringify(s)}`;
    for (const n of names) {
      if (n === '') return 'an empty template expression {}';
      if (params.includes(n)) return `template parameter ${JSON.stringify(n)} appears twice`;
      params.push(n);
    }
    if (names.length > 0 && s !== `{${names[0] as string}}`) regex = true;
    if (names.some((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n))) regex = true;
  }
  if (params.length === 0) return { type: 'Exact', value: path, params };
  if (!regex) return { type: 'Template', value: `/${segs.map((s) => (s.startsWith('{') ? `:${s.slice(1, -1)}` : s)).join('/')}`, params };
  // Mixed segments: one regex over the whole path, a named group per parameter when the name allows one.
  const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  // A parameter stops at the literal text after it (`{name}.{ext}`: the name takes no dot), which
  // also keeps adjacent quantifiers from overlapping (the router refuses regexes that backtrack).
  const body = segs
    .map((s) => {
      const parts = s.split(/(\{[^{}]*\})/).filter((x) => x !== '');
      return parts
        .map((part, i) => {
          if (!part.startsWith('{')) return esc(part);
          const n = part.slice(1, -1);
          const next = parts[i + 1];
          const stop = next !== undefined && !next.startsWith('{') ? esc(next[0] as string) : '';
          const cls = `[^/${stop}]+`;
          return /^[A-Za-z_][A-Za-z0-9_]*$/.test(n) ? `(?<${n}>${cls})` : `(${cls})`;
        })
        .join('');
    })
    .join('/');
  return { type: 'RegularExpression', value: `/${body}`, params };
}

/** Server URL with `{variables}` replaced by their defaults (OpenAPI Server Object). */
function serverUrl(sink: Sink, server: unknown, p: string): string | undefined {
  const url = get(server, 'url');
  if (typeof url !== 'string') return (sink.problem(`${p}/url`, 'is required (a string)'), undefined);
  const vars = get(server, 'variables');
  let bad = false;
  const out = url.replace(/\{([^{}]+)\}/g, (_w, name: string) => {
    const v = get(vars, name);
    const def = get(v, 'default');
    if (typeof def !== 'string') {
      bad = true;
      sink.problem(`${p}/variables/${pointerSegment(name)}/default`, `server variable ${JSON.stringify(name)} has no default`);
      return '';
    }
    const en = get(v, 'enum');
    if (Array.isArray(en) && !en.includes(def)) sink.problem(`${p}/variables/${pointerSegment(name)}/default`, 'the default must be one of the enum values');
    return def;
  });
  return bad ? undefined : out;
}

function openApiDocument(ctx: ImportContext, src: SourcedDocument, extra: Record<string, unknown>): ImportedRoute[] {
  const doc = src.value;
  const sink = sinkFor(ctx.messages, openApiRef(doc, src));
  const version = get(doc, 'openapi');
  if (typeof version !== 'string' || !/^3\.[01]\.\d+/.test(version)) {
    sink.problem('#/openapi', typeof get(doc, 'swagger') === 'string' ? 'Swagger 2.0 is not imported: convert it to OpenAPI 3.x' : `OpenAPI ${String(version)} is not supported (3.0.x and 3.1.x are)`);
    return [];
  }
  const before = ctx.messages.problems.length;
  const rootExt = extension(sink, doc, '#');
  // Root-only keys.
  const cfg = get(rootExt, 'config');
  if (cfg !== undefined) {
    if (!isObj(cfg)) sink.problem('#/x-switchyard/config', 'must be an object');
    else {
      const issues = structuralIssues({ routes: [], upstreams: {}, ...cfg }).filter((i) => !i.path.startsWith('routes') && !(i.path === 'upstreams' && get(cfg, 'upstreams') === undefined));
      for (const i of issues) sink.problem(`#/x-switchyard/config/${configPointer(i.path)}`, i.message);
      if (issues.length === 0) {
        for (const [k, v] of Object.entries(cfg)) {
          if (k === 'upstreams' && isObj(v)) {
            for (const [n, u] of Object.entries(v)) {
              ctx.upstreams.upstreams[n] = u as never;
              ctx.upstreams.origins[n] = { document: sink.doc, path: `#/x-switchyard/config/upstreams/${pointerSegment(n)}` };
            }
          }
          else if (k === 'policies' && isObj(v)) for (const [n, pol] of Object.entries(v)) ctx.policies[n] = pol as never;
          else if (k === 'limits' && isObj(v)) extra['limits'] = { ...(isObj(extra['limits']) ? extra['limits'] : {}), ...v };
          else extra[k] = v;
        }
      }
    }
  }
  const basePathRaw = get(rootExt, 'basePath');
  let basePath = '';
  if (basePathRaw !== undefined) {
    if (typeof basePathRaw !== 'string' || !/^(\/[^/?#]+)*\/?$/.test(basePathRaw)) sink.problem('#/x-switchyard/basePath', 'must be a path such as "/api"');
    else basePath = basePathRaw.replace(/\/$/, '');
  }
  // A problem in the document-level settings affects every route: none is imported then.
  if (ctx.messages.problems.length > before) return [];
  const docServers = get(doc, 'servers');
  const paths = get(doc, 'paths');
  if (paths === undefined) return [];
  if (!isObj(paths)) return (sink.problem('#/paths', 'must be an object'), []);

  const concrete: ImportedRoute[] = [];
  const templated: ImportedRoute[] = [];
  for (const [path, item] of Object.entries(paths)) {
    const ip = ptr('paths', path);
    if (path.startsWith('x-')) continue;
    if (!isObj(item)) {
      sink.problem(ip, 'must be a Path Item object');
      continue;
    }
    if (get(item, '$ref') !== undefined) {
      sink.warn(`${ip}/$ref`, 'a $ref path item is not followed: dereference the document first');
      continue;
    }
    const pm = pathMatch(path);
    if (typeof pm === 'string') {
      sink.problem(ip, pm);
      continue;
    }
    const itemExt = extension(sink, item, ip);
    for (const method of METHODS) {
      const op = get(item, method);
      if (op === undefined) continue;
      const op_ = `${ip}/${method}`;
      if (!isObj(op)) {
        sink.problem(op_, 'must be an Operation object');
        continue;
      }
      const opExt = extension(sink, op, op_);
      const route = operationRoute(ctx, sink, { path, method, op, item, docServers, basePath, pm }, [
        { ext: rootExt, pointer: '#/x-switchyard' },
        { ext: itemExt, pointer: `${ip}/x-switchyard` },
        { ext: opExt, pointer: `${op_}/x-switchyard` },
      ]);
      if (route === undefined) continue;
      (pm.type === 'Exact' ? concrete : templated).push(route);
    }
  }
  return [...concrete, ...templated];
}

/** Other gateways' OpenAPI extensions: their settings are not read, which the user should know. */
const FOREIGN_EXTENSIONS = ['x-zuplo-route', 'x-zuplo-path', 'x-tyk-api-gateway', 'x-amazon-apigateway-integration', 'x-google-backend', 'x-kong-plugin', 'x-kong-route-defaults', 'x-azure-api-management'];

function extension(sink: Sink, o: unknown, p: string): Obj | undefined {
  if (isObj(o)) for (const k of Object.keys(o)) if (FOREIGN_EXTENSIONS.includes(k) || k.startsWith('x-kong-plugin-')) sink.warn(`${p}/${pointerSegment(k)}`, `${k} is another gateway's extension: not read (use x-switchyard)`);
  const x = get(o, 'x-switchyard');
  if (x === undefined) return undefined;
  if (!isObj(x)) return (sink.problem(`${p}/x-switchyard`, 'must be an object'), undefined);
  const rootLevel = p === '#';
  for (const k of Object.keys(x)) {
    if (ROUTE_KEYS.includes(k) || (rootLevel && ROOT_ONLY.includes(k))) continue;
    sink.problem(`${p}/x-switchyard/${pointerSegment(k)}`, ROOT_ONLY.includes(k) ? `${k} is only read on the document's x-switchyard` : `unknown key ${JSON.stringify(k)} (known keys: ${ROUTE_KEYS.join(', ')})`);
  }
  return x;
}

/** `routes[0].retry.numRetries` / `upstreams.a.balancer` → JSON pointer segments. */
function configPointer(path: string): string {
  const segs: string[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g)) {
    const s = m[1] ?? m[2] ?? (m[3] !== undefined ? (JSON.parse(`"${m[3]}"`) as string) : '');
    segs.push(pointerSegment(s));
  }
  return segs.join('/');
}

interface OperationInput {
  readonly path: string;
  readonly method: string;
  readonly op: Obj;
  readonly item: Obj;
  readonly docServers: unknown;
  readonly basePath: string;
  readonly pm: { type: 'Exact' | 'Template' | 'RegularExpression'; value: string; params: string[] };
}

function operationRoute(ctx: ImportContext, sink: Sink, input: OperationInput, levels: readonly Level[]): ImportedRoute | undefined {
  const { path, method, op, pm, basePath } = input;
  const op_ = ptr('paths', path, method);
  // Inherit downwards, key by key: the operation's value wins.
  const merged: Record<string, unknown> = {};
  const sourceOf: Record<string, string> = {};
  for (const level of levels) {
    for (const [k, v] of Object.entries(level.ext ?? {})) {
      if (!ROUTE_KEYS.includes(k)) continue;
      merged[k] = v;
      sourceOf[k] = `${level.pointer}/${pointerSegment(k)}`;
    }
  }
  const opId = get(op, 'operationId');
  const route: Record<string, unknown> = { name: '', ...merged };
  // Path parameters declared for the template (Parameter Object `in: path`, required).
  for (const name of pm.params) {
    const declared = [...(Array.isArray(get(op, 'parameters')) ? (get(op, 'parameters') as unknown[]) : []), ...(Array.isArray(get(input.item, 'parameters')) ? (get(input.item, 'parameters') as unknown[]) : [])].some(
      (p) => get(p, 'in') === 'path' && get(p, 'name') === name,
    );
    if (!declared) sink.warn(op_, `path parameter ${JSON.stringify(name)} is not declared in parameters (OpenAPI requires it)`);
  }
  const value = basePath === '' ? pm.value : pm.type === 'RegularExpression' ? `${basePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}${pm.value}` : `${basePath}${pm.value}`;
  route['matches'] = [{ path: { type: pm.type, value }, method: method.toUpperCase() }];

  // Backends: x-switchyard.backends, else the servers (operation > path item > document), servers[0].
  if (merged['backends'] === undefined && merged['redirect'] === undefined) {
    const servers = [get(op, 'servers'), get(input.item, 'servers'), input.docServers].find((s) => Array.isArray(s) && s.length > 0) as unknown[] | undefined;
    const serversPtr = get(op, 'servers') === servers ? `${op_}/servers` : get(input.item, 'servers') === servers ? `${ptr('paths', path)}/servers` : '#/servers';
    if (servers === undefined) {
      sink.problem(`${op_}`, 'no backend: give servers (document, path item or operation) or x-switchyard.backends');
      return undefined;
    }
    if (servers.length > 1) sink.warn(`${serversPtr}/1`, 'only servers[0] is the upstream (as Tyk imports OpenAPI): the others are ignored');
    const url = serverUrl(sink, servers[0], `${serversPtr}/0`);
    if (url === undefined) return undefined;
    const upstream = ctx.upstreams.url(sink, `${serversPtr}/0/url`, url);
    if (upstream === undefined) return undefined;
    route['backends'] = [{ upstream }];
    // The server URL's path is the API's base: the upstream is asked for server path + operation path.
    const m = /^[a-z]+:\/\/[^/]+(\/[^?#]*)?/i.exec(url);
    const serverPath = (url.startsWith('/') ? url.replace(/[?#].*$/, '') : (m?.[1] ?? '')).replace(/\/$/, '');
    if (serverPath !== '' || basePath !== '') {
      if (serverPath !== basePath) route['rewrite'] = { ...(isObj(merged['rewrite']) ? merged['rewrite'] : {}), path: { type: 'PrefixRewrite', prefix: `${basePath}/`, prefixRewrite: `${serverPath}/` } };
    }
  } else if (Array.isArray(merged['backends'])) {
    const list: BackendConfig[] = [];
    (merged['backends'] as unknown[]).forEach((b, i) => {
      const bp = `${sourceOf['backends'] as string}/${i}`;
      const url = get(b, 'url');
      if (typeof url === 'string') {
        const upstream = ctx.upstreams.url(sink, `${bp}/url`, url);
        if (upstream === undefined) return;
        const { url: _drop, ...rest } = b as Record<string, unknown>;
        void _drop;
        list.push({ ...(rest as object), upstream } as BackendConfig);
        return;
      }
      const name = get(b, 'upstream');
      if (typeof name === 'string' && !Object.prototype.hasOwnProperty.call(ctx.upstreams.upstreams, name)) {
        // Not an upstream of x-switchyard.config: a service name for the resolver (`orders.default`).
        const [svc, ns] = name.split('.');
        const resolved = ctx.upstreams.service(sink, `${bp}/upstream`, { kind: 'service', name: svc ?? name, namespace: ns ?? ctx.options.defaultNamespace ?? 'default' });
        if (resolved === undefined) return;
        list.push({ ...(b as object), upstream: resolved } as BackendConfig);
        return;
      }
      list.push(b as BackendConfig);
    });
    route['backends'] = list;
  }

  // The route's settings through the gateway's own structural schema, problems at their pointer.
  const probe = { ...route, name: 'probe' } as Record<string, unknown>;
  const issues = structuralIssues({ routes: [probe], upstreams: {} });
  for (const i of issues) {
    const m = /^routes\[0\]\.?([A-Za-z]+)(.*)$/.exec(i.path);
    const key = m?.[1];
    if (key === undefined || sourceOf[key] === undefined) {
      sink.problem(op_, `${i.path.replace(/^routes\[0\]\.?/, '')}: ${i.message}`);
      continue;
    }
    const rest = configPointer(m?.[2] ?? '');
    sink.problem(rest === '' ? (sourceOf[key] as string) : `${sourceOf[key] as string}/${rest}`, i.message);
  }
  if (issues.length > 0) return undefined;
  route['name'] = uniqueRouteName(ctx, typeof opId === 'string' && opId !== '' ? opId : `${method.toUpperCase()} ${path}`, { document: sink.doc, path: op_ });
  return route as unknown as RouteConfig as ImportedRoute;
}
