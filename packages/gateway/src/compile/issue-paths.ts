/**
 * Where a compile problem is reported: every issue carries its config path
 * (`upstreams.orders.outlierDetection.maxEjectionTimeMs`), a compiler's own paths prefixed with
 * the section it compiled.
 */
import { ConfigError, isSwitchyardError, type ConfigIssue } from '@switchyard/core';

/** Runs `fn`, turning a thrown ConfigError into issues under `prefix`. */
export function within<T>(issues: ConfigIssue[], prefix: string, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError || (isSwitchyardError(err) && err.code === 'SY_CONFIG_INVALID' && 'issues' in err)) {
      for (const i of (err as ConfigError).issues) issues.push({ path: joinPath(prefix, i.path), message: i.message });
      return undefined;
    }
    if (isSwitchyardError(err)) {
      issues.push({ path: prefix, message: err.message });
      return undefined;
    }
    throw err;
  }
}

/** `prefix` + a compiler's own `path`, the section name it repeats dropped. */
function joinPath(prefix: string, path: string): string {
  if (path === '' || path === '(root)') return prefix;
  if (prefix === '') return path;
  // Some compilers already name their own section (`outlierDetection.maxEjectionTimeMs`).
  const last = /(?:^|\.)([A-Za-z_$][\w$]*)$/.exec(prefix)?.[1];
  if (last !== undefined && (path === last || path.startsWith(`${last}.`) || path.startsWith(`${last}[`))) path = path.slice(last.length).replace(/^\./, '');
  if (path === '') return prefix;
  return path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}

/** `upstreams` + `orders` → `upstreams.orders`; keys that are not identifiers are quoted. */
export function keyPath(prefix: string, key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${prefix}.${key}` : `${prefix}[${JSON.stringify(key)}]`;
}
