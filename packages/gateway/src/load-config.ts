/**
 * Reads a gateway config from text: JSON, or YAML (the `yaml` package, YAML 1.2, no custom tags).
 * Syntax errors become a ConfigError with the line and column; the result is then validated by
 * `createGateway` / `reload` like any other config.
 */
import { ConfigError } from '@switchyard/core';
import { parseDocument } from 'yaml';
import type { GatewayConfig } from './config.js';

/**
 * Parses `source` as JSON or YAML (`format: 'auto'` picks JSON when the text starts with `{`).
 * Returns the document unvalidated: pass it to `createGateway`, which reports every problem by path.
 *
 * @example
 * ```ts
 * import { createGateway } from '@switchyard/gateway';
 * import { parseGatewayConfig } from '@switchyard/gateway/yaml';
 * const config = parseGatewayConfig(`
 * routes:
 *   - name: orders
 *     backends: [{ upstream: orders }]
 * upstreams:
 *   orders:
 *     endpoints: [{ url: "http://127.0.0.1:8081" }]
 * `);
 * // createGateway(config, { transport })
 * ```
 */
export function parseGatewayConfig(source: string, options: { format?: 'auto' | 'json' | 'yaml' } = {}): GatewayConfig {
  const format = options.format ?? 'auto';
  const json = format === 'json' || (format === 'auto' && source.trimStart().startsWith('{'));
  if (json) {
    try {
      return JSON.parse(source) as GatewayConfig;
    } catch (err) {
      throw new ConfigError([{ path: '(document)', message: `invalid JSON: ${err instanceof Error ? err.message : String(err)}` }]);
    }
  }
  const doc = parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => ({
        path: e.linePos?.[0] !== undefined ? `(line ${e.linePos[0].line}, column ${e.linePos[0].col})` : '(document)',
        message: `invalid YAML: ${e.message.split('\n')[0] ?? e.code}`,
      })),
    );
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // An alias with no anchor before it, or too many alias expansions (billion laughs).
    throw new ConfigError([{ path: '(document)', message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  const cycle = cyclePath(value);
  if (cycle !== undefined) throw new ConfigError([{ path: cycle, message: 'invalid YAML: an alias refers to a node that contains it (a cycle)' }]);
  return value as GatewayConfig;
}

/**
 * The path of the first value that contains itself (`&a [*a]` after YAML alias expansion), or
 * undefined for a tree / DAG. Shared with `@switchyard/import`'s YAML loader.
 */
export function cyclePath(root: unknown): string | undefined {
  const ancestors = new Set<object>();
  const visit = (value: unknown, path: string): string | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    if (ancestors.has(value)) return path === '' ? '(root)' : path;
    ancestors.add(value);
    const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value).map(([k, v]) => [path === '' ? k : `.${k}`, v]);
    for (const [suffix, child] of entries) {
      const found = visit(child, `${path}${suffix}`);
      if (found !== undefined) return found;
    }
    ancestors.delete(value);
    return undefined;
  };
  return visit(root, '');
}
