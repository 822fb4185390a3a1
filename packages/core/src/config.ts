/**
 * Config problems by path: `ConfigIssue`, `ConfigError` and the collector that validators report
 * into.
 */

import { SwitchyardError } from './errors.js';

/** One problem in a config, located by its path: `routes[2].backends[0].weight: must be >= 0`. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

/**
 * Thrown when config is invalid. `issues` lists every problem found, not just the first;
 * the message has one line per issue.
 *
 * @example
 * ```ts
 * import { ConfigError } from '@switchyard/core';
 * const err = new ConfigError([{ path: 'routes[0].weight', message: 'must be >= 0' }]);
 * err.code;    // 'SY_CONFIG_INVALID'
 * err.message; // 'invalid config:\n  routes[0].weight: must be >= 0'
 * ```
 */
export class ConfigError extends SwitchyardError {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super('SY_CONFIG_INVALID', `invalid config:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = Object.freeze([...issues]);
  }
}

/**
 * Joins path segments the way issues are reported: `formatPath(['routes', 2, 'weight'])`
 * → `routes[2].weight`.
 */
export function formatPath(segments: ReadonlyArray<string | number>): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * Collects issues while a config is validated, then throws them all at once.
 *
 * @example
 * ```ts
 * import { IssueCollector } from '@switchyard/core';
 * const issues = new IssueCollector();
 * if (!(weight >= 0)) issues.add('routes[0].weight', 'must be >= 0');
 * issues.throwIfAny(); // ConfigError listing every problem
 * ```
 */
export class IssueCollector {
  readonly issues: ConfigIssue[] = [];

  add(path: string, message: string): void {
    this.issues.push({ path, message });
  }

  get ok(): boolean {
    return this.issues.length === 0;
  }

  throwIfAny(): void {
    if (this.issues.length > 0) throw new ConfigError(this.issues);
  }
}
