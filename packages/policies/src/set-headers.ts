/**
 * The `set-headers` policy: sets and removes request headers (before the upstream sees them)
 * and response headers (before the client does); Zuplo's `set-headers-inbound` / `-outbound`
 * (`headers: [{ name, value, overwrite }]`, `overwrite` default true) in one policy, with
 * removal as Gateway API's `HTTPHeaderFilter.remove` and Envoy's `request_headers_to_remove`.
 *
 * Values are templates over what the pipeline knows, compiled once: `${identity.sub}`,
 * `${identity.data.tier}`, `${attributes.country}`, `${requestId}`, `${route.name}`,
 * `${clientIp}`, `${backend}` (`$${` writes a literal `${`). A reference to something absent
 * renders as nothing, and a header whose value renders empty is not set (Envoy's
 * `keep_empty_value: false`). Objects never render (no `[object Object]`).
 *
 * Every produced value is checked with core's `isSendableHeaderValue` (the undici rules, the
 * strictest transport's). A static value that is not sendable is a config error. A rendered one
 * that is not came from request data (attributes and identity data can come from client
 * headers or tokens): a request header answers 400 `SY_BAD_REQUEST` with a fixed message, the
 * client's fault, never blamed on the upstream; a response header is left unset (the response
 * exists already; refusing it would blame the client for the upstream's answer).
 *
 * Hop-by-hop fields (RFC 9110 §7.6.1: `Connection`, `Keep-Alive`, `Proxy-Connection`, `TE`,
 * `Transfer-Encoding`, `Upgrade`, plus `Trailer`) and the fields the gateway owns (`Host`: the
 * origin stays pinned; `Content-Length`: framing) are refused at config time. Removal happens
 * before setting (Envoy's `HeaderParser::evaluateHeaders` order).
 *
 * @module
 */
import * as v from 'valibot';
import { definePolicy, isSendableHeaderName, isSendableHeaderValue, type InboundResult, type Policy, type PolicyContext, type PolicyReject, type SyRequest, type SyResponse } from '@switchyard/core';

/** One header to set. */
export interface SetHeaderEntry {
  /** Header name (any case in config; stored lower-cased). */
  readonly name: string;
  /** The value: a template (`'tier=${identity.data.tier}'`) or plain text. */
  readonly value: string;
  /** Replace a header already present (default true); false keeps the existing one. */
  readonly overwrite?: boolean | undefined;
}

/** Options of the `set-headers` policy. At least one entry somewhere. */
export interface SetHeadersOptions {
  /** Request headers to set, before the upstream sees the request. */
  readonly request?: readonly SetHeaderEntry[] | undefined;
  /** Response headers to set, before the client sees the response (every status). */
  readonly response?: readonly SetHeaderEntry[] | undefined;
  /** Headers to remove (before setting). */
  readonly remove?: { readonly request?: readonly string[] | undefined; readonly response?: readonly string[] | undefined } | undefined;
}

/** Names the policy refuses to touch: hop-by-hop (RFC 9110 §7.6.1) and the gateway's own. */
const REFUSED_NAMES: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer', 'host', 'content-length']);

/** The request values a header template may reference (`${identity.sub}`, `${clientIp}`...). */
export type Root = 'identity' | 'attributes' | 'requestId' | 'route' | 'clientIp' | 'backend';
const ROOTS: readonly Root[] = ['identity', 'attributes', 'requestId', 'route', 'clientIp', 'backend'];

/** A compiled template: literal text and references, in order. */
export type Part = string | { readonly root: Root; readonly path: readonly string[] };

const EXPR = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_-]+)*$/;

/**
 * Compiles a value template; returns the parts or a problem. `$${` is a literal `${`.
 * Exported for tests and custom policies.
 */
export function compileHeaderTemplate(template: string): { readonly parts: readonly Part[] } | { readonly problem: string } {
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < template.length) {
    const at = template.indexOf('$', i);
    if (at < 0) {
      text += template.slice(i);
      break;
    }
    text += template.slice(i, at);
    if (template.startsWith('$${', at)) {
      text += '${';
      i = at + 3;
      continue;
    }
    if (!template.startsWith('${', at)) {
      text += '$';
      i = at + 1;
      continue;
    }
    const end = template.indexOf('}', at + 2);
    if (end < 0) return { problem: "has an unclosed '${'" };
    const expr = template.slice(at + 2, end).trim();
    if (!EXPR.test(expr)) return { problem: `'\${${expr}}' is not a reference (identity.sub, attributes.<name>, …)` };
    const [root, ...path] = expr.split('.') as [string, ...string[]];
    if (!(ROOTS as readonly string[]).includes(root)) return { problem: `'\${${expr}}': unknown name '${root}' (one of ${ROOTS.join(', ')})` };
    if ((root === 'requestId' || root === 'clientIp' || root === 'backend') && path.length > 0) return { problem: `'\${${expr}}': ${root} has no fields` };
    if (root === 'route' && (path.length !== 1 || path[0] !== 'name')) return { problem: `'\${${expr}}': use route.name` };
    if ((root === 'identity' || root === 'attributes') && path.length === 0) return { problem: `'\${${expr}}': name a field (${root}.<name>)` };
    if (text !== '') parts.push(text);
    text = '';
    parts.push({ root: root as Root, path });
    i = end + 1;
  }
  if (text !== '') parts.push(text);
  return { parts };
}

function walk(value: unknown, path: readonly string[], from: number): unknown {
  let cur = value;
  for (let i = from; i < path.length; i++) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    const key = path[i] as string;
    // Own properties only: `${attributes.__proto__}` or `constructor` must not reach prototypes.
    if (!Object.hasOwn(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function resolve(ref: Exclude<Part, string>, ctx: PolicyContext): unknown {
  switch (ref.root) {
    case 'identity':
      return walk(ctx.identity, ref.path, 0);
    case 'attributes':
      return walk(ctx.attributes, ref.path, 0);
    case 'requestId':
      return ctx.requestId;
    case 'route':
      return ctx.route.name;
    case 'clientIp':
      return ctx.clientIp;
    case 'backend':
      return ctx.backend;
  }
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return '';
}

function render(parts: readonly Part[], ctx: PolicyContext): string {
  let out = '';
  for (const p of parts) out += typeof p === 'string' ? p : text(resolve(p, ctx));
  return out;
}

interface CompiledEntry {
  readonly name: string;
  readonly overwrite: boolean;
  /** The value when the template has no references (checked at config time). */
  readonly fixed: string | undefined;
  readonly parts: readonly Part[];
}

function nameProblem(name: string): string | undefined {
  if (!isSendableHeaderName(name)) return 'must be a header name (an RFC 9110 token)';
  if (REFUSED_NAMES.has(name.toLowerCase())) return `'${name.toLowerCase()}' is a hop-by-hop or gateway-owned header and cannot be set or removed`;
  return undefined;
}

const nameSchema = v.pipe(
  v.string('must be a string'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const problem = nameProblem(dataset.value);
    if (problem !== undefined) addIssue({ message: problem });
  }),
  v.transform((s) => s.toLowerCase()),
);

const entrySchema = v.strictObject({
  name: nameSchema,
  value: v.pipe(
    v.string('must be a string'),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      const compiled = compileHeaderTemplate(dataset.value);
      if ('problem' in compiled) return addIssue({ message: compiled.problem });
      if (compiled.parts.every((p) => typeof p === 'string') && !isSendableHeaderValue(dataset.value.replaceAll('$${', '${'))) addIssue({ message: 'is not a valid header value (control characters or characters above U+00FF)' });
    }),
  ),
  overwrite: v.optional(v.boolean('must be true or false')),
});

const entries = v.pipe(
  v.array(entrySchema, 'must be an array of { name, value, overwrite? }'),
  v.rawCheck(({ dataset, addIssue }) => {
    if (!dataset.typed) return;
    const seen = new Set<string>();
    for (const [i, e] of dataset.value.entries()) {
      if (seen.has(e.name)) addIssue({ message: `sets '${e.name}' twice`, path: [{ type: 'array', origin: 'value', input: dataset.value, key: i, value: e }] });
      seen.add(e.name);
    }
  }),
);

/** The `set-headers` policy's option schema. */
export const setHeadersOptionsSchema = v.pipe(
  v.strictObject({
    request: v.optional(entries),
    response: v.optional(entries),
    remove: v.optional(
      v.strictObject({
        request: v.optional(v.array(nameSchema, 'must be an array of header names')),
        response: v.optional(v.array(nameSchema, 'must be an array of header names')),
      }),
    ),
  }),
  v.check((o) => (o.request?.length ?? 0) + (o.response?.length ?? 0) + (o.remove?.request?.length ?? 0) + (o.remove?.response?.length ?? 0) > 0, 'sets or removes nothing'),
);

function compileEntries(list: readonly SetHeaderEntry[] | undefined, side: string): readonly CompiledEntry[] {
  return (list ?? []).map((e, i) => {
    const problem = nameProblem(e.name);
    if (problem !== undefined) throw new TypeError(`set-headers: ${side}[${i}].name ${problem}`);
    const compiled = compileHeaderTemplate(e.value);
    if ('problem' in compiled) throw new TypeError(`set-headers: ${side}[${i}].value ${compiled.problem}`);
    const isFixed = compiled.parts.every((p) => typeof p === 'string');
    const fixed = isFixed ? compiled.parts.join('') : undefined;
    if (fixed !== undefined && !isSendableHeaderValue(fixed)) throw new TypeError(`set-headers: ${side}[${i}].value is not a valid header value`);
    return { name: e.name.toLowerCase(), overwrite: e.overwrite ?? true, fixed, parts: compiled.parts };
  });
}

const BAD_VALUE: PolicyReject = Object.freeze({ kind: 'reject', code: 'SY_BAD_REQUEST', message: 'A request header derived from the request is not a valid header value.' });

/**
 * `set-headers`: sets (templated) and removes request and response headers.
 *
 * @example
 * ```ts
 * // config: policies: { tag: { type: 'set-headers', options: {
 * //   request: [{ name: 'x-consumer', value: '${identity.sub}' }, { name: 'x-country', value: '${attributes.country}' }],
 * //   response: [{ name: 'x-served-by', value: 'edge-1', overwrite: false }],
 * //   remove: { request: ['x-debug'], response: ['server'] } } } }
 * import { setHeadersPolicy } from '@switchyard/policies';
 * const policy = setHeadersPolicy.create({ request: [{ name: 'x-consumer', value: '${identity.sub}' }] }, deps);
 * ```
 */
export const setHeadersPolicy = definePolicy<SetHeadersOptions>({
  type: 'set-headers',
  summary: 'Sets (templated: ${identity.sub}, ${attributes.country}, …) and removes request and response headers.',
  options: setHeadersOptionsSchema,
  create(options) {
    const reqSet = compileEntries(options.request, 'request');
    const resSet = compileEntries(options.response, 'response');
    const reqRemove = (options.remove?.request ?? []).map((n) => n.toLowerCase());
    const resRemove = (options.remove?.response ?? []).map((n) => n.toLowerCase());
    for (const n of [...reqRemove, ...resRemove]) {
      const problem = nameProblem(n);
      if (problem !== undefined) throw new TypeError(`set-headers: remove: ${problem}`);
    }
    const policy: { -readonly [K in keyof Policy]: Policy[K] } = {
      type: 'set-headers',
      describe() {
        const parts: string[] = [];
        if (reqRemove.length > 0) parts.push(`remove request ${reqRemove.join(', ')}`);
        if (reqSet.length > 0) parts.push(`set request ${reqSet.map((e) => e.name).join(', ')}`);
        if (resRemove.length > 0) parts.push(`remove response ${resRemove.join(', ')}`);
        if (resSet.length > 0) parts.push(`set response ${resSet.map((e) => e.name).join(', ')}`);
        return `set-headers: ${parts.join('; ')}`;
      },
    };
    if (reqSet.length > 0 || reqRemove.length > 0) {
      policy.inbound = (request: SyRequest, ctx: PolicyContext): InboundResult => {
        const headers: Record<string, string | undefined> = { ...request.headers };
        for (const n of reqRemove) delete headers[n];
        for (const e of reqSet) {
          if (!e.overwrite && headers[e.name] !== undefined) continue;
          const value = e.fixed ?? render(e.parts, ctx);
          if (value === '') continue;
          if (e.fixed === undefined && !isSendableHeaderValue(value)) return BAD_VALUE;
          headers[e.name] = value;
        }
        return { kind: 'continue', request: { ...request, headers } };
      };
    }
    if (resSet.length > 0 || resRemove.length > 0) {
      policy.outbound = (response: SyResponse, _request: SyRequest, ctx: PolicyContext): SyResponse => {
        const headers: Record<string, string | readonly string[] | undefined> = { ...response.headers };
        for (const n of resRemove) delete headers[n];
        for (const e of resSet) {
          if (!e.overwrite && headers[e.name] !== undefined) continue;
          const value = e.fixed ?? render(e.parts, ctx);
          // The response exists: an unsendable rendered value is dropped, nobody is blamed.
          if (value === '' || (e.fixed === undefined && !isSendableHeaderValue(value))) continue;
          headers[e.name] = value;
        }
        // A spread, not a new object: it keeps the gateway's own marks on its error responses (the
        // error code and context symbols), so the `errors` config and the request id still apply to a
        // 401 or 429 this finalizer decorated (examples/policies test: the custom 429 with CORS).
        return { ...response, headers };
      };
    }
    return policy;
  },
});
