/**
 * The structural schema of the whole gateway config ({@link gatewayConfigSchema}: each section's
 * schema from its `schema-*.ts`, the policy instances and lists here) and the one parse every
 * load goes through, turning valibot's issues into `path: message` problems.
 */
import * as v from 'valibot';
import type { ConfigIssue } from '@switchyard/core';
import type { GatewayConfig } from '../config.js';
import { errorsConfigSchema } from './schema-errors.js';
import { dict, int, list, nonEmpty, opt, str, strict, bool } from './schema-kit.js';
import { clientIdentitySchema, limitSchema } from './schema-limits.js';
import { normalizeSchema, routeSchema } from './schema-routes.js';
import { upstreamSchema } from './schema-upstreams.js';

// -- policies: named instances, the gateway-wide lists
const oneOrMany = v.union([nonEmpty, list(nonEmpty)], 'must be a non-empty string or an array of them');
const policyWhenSchema = strict({
  method: opt(oneOrMany),
  pathPrefix: opt(oneOrMany),
  header: opt(strict({ name: nonEmpty, present: opt(bool), value: opt(str) })),
  not: opt(bool),
});
const policyInstanceSchema = strict({
  type: nonEmpty,
  options: opt(v.unknown()),
  when: opt(policyWhenSchema),
  errors: opt(errorsConfigSchema),
});

/** The structural schema of {@link GatewayConfig} (valibot). */
export const gatewayConfigSchema = strict({
  selection: opt(v.picklist(['gateway', 'first-match'], "must be 'gateway' or 'first-match'")),
  normalize: opt(normalizeSchema),
  clientIdentity: opt(clientIdentitySchema),
  routes: list(routeSchema, 'an array of routes'),
  upstreams: dict(upstreamSchema, 'must be an object of upstream groups'),
  limits: opt(dict(limitSchema)),
  rateLimitHeaders: opt(v.picklist(['both', 'ietf', 'legacy', 'none'], "must be 'both', 'ietf', 'legacy' or 'none'")),
  replayBufferBytes: opt(int(0)),
  policies: opt(dict(policyInstanceSchema)),
  pipeline: opt(strict({ inbound: opt(list(nonEmpty)), outbound: opt(list(nonEmpty)) })),
  errors: opt(errorsConfigSchema),
});

/** The outcome of {@link parseConfigStructure}. */
export type StructureResult = { readonly kind: 'ok'; readonly config: GatewayConfig } | { readonly kind: 'invalid'; readonly issues: readonly ConfigIssue[] };

/**
 * Checks `input` against {@link gatewayConfigSchema} and returns a clean copy: only the keys
 * the schema names, in fresh objects (so a `__proto__` key of a parsed document never reaches
 * the compiler). Never throws, whatever `input` is.
 */
export function parseConfigStructure(input: unknown): StructureResult {
  const result = v.safeParse(gatewayConfigSchema, input, { abortEarly: false });
  if (result.success) return { kind: 'ok', config: result.output as unknown as GatewayConfig };
  return { kind: 'invalid', issues: result.issues.map((issue) => ({ path: issuePath(issue.path), message: messageOf(issue) })) };
}

/** Structural problems of `input`, each with its path. Empty when the shape is right. */
export function structuralIssues(input: unknown): { path: string; message: string }[] {
  const r = parseConfigStructure(input);
  return r.kind === 'ok' ? [] : r.issues.map((i) => ({ path: i.path, message: i.message }));
}

function issuePath(path: readonly { key: unknown }[] | undefined): string {
  if (path === undefined || path.length === 0) return '(root)';
  let out = '';
  for (const item of path) {
    const k = item.key;
    if (typeof k === 'number') out += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k)) out += out === '' ? k : `.${k}`;
    else out += `[${JSON.stringify(k)}]`;
  }
  return out;
}

function messageOf(issue: v.BaseIssue<unknown>): string {
  // valibot's default messages name the expectation ("Invalid type: Expected number but received "x"");
  // ours (set on each check above) already read as "must be …".
  if (issue.kind === 'schema' && issue.expected === 'never') return issue.message.startsWith('unknown key') ? issue.message : 'is not allowed';
  if (issue.input === undefined && issue.kind === 'schema' && issue.type !== 'custom' && issue.type !== 'variant') return 'is required';
  return issue.message;
}
