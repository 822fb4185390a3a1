/**
 * Validation: the loaded config through the gateway's own compiler (`createGateway`), whose
 * `ConfigError.issues` list every problem by path; each path is mapped back to its file.
 */
import { ConfigError, isSwitchyardError, type ConfigIssue, type Transport } from '@switchyard/core';
import { createGateway, type Gateway, type GatewayConfig } from '@switchyard/gateway';
import type { LoadInputsResult } from './load.js';
import type { Problem } from './problems.js';

/** The outcome of {@link checkConfig}. */
export interface Checked {
  /** Loading and validation problems together; empty when the config is good. */
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
  /** The config, when it loaded and validated. */
  readonly config: GatewayConfig | undefined;
}

/** The issues of a ConfigError (also one thrown by another copy of core). */
export function issuesOf(err: unknown): readonly ConfigIssue[] | undefined {
  if (err instanceof ConfigError) return err.issues;
  if (isSwitchyardError(err) && err.code === 'SY_CONFIG_INVALID' && 'issues' in err) return (err as { issues: readonly ConfigIssue[] }).issues;
  return undefined;
}

/** Maps config issues (paths of the merged config) to problems naming file, document, path and line. */
export function toProblems(issues: readonly ConfigIssue[], loaded: LoadInputsResult): Problem[] {
  return issues.map((i) => ({ ...loaded.locate(i.path), message: i.message }));
}

/**
 * Compiles the loaded config with `transport` (the one `serve` would use, so that what it
 * refuses, validate refuses too), without starting anything, and reports every problem.
 */
export async function checkConfig(loaded: LoadInputsResult, transport: Transport): Promise<Checked> {
  if (loaded.config === undefined || loaded.problems.length > 0) return { problems: loaded.problems, warnings: loaded.warnings, config: undefined };
  const compiled = compileLoaded(loaded.config, loaded, transport);
  if (compiled.kind === 'invalid') return { problems: compiled.problems, warnings: loaded.warnings, config: undefined };
  await compiled.gateway.stop();
  return { problems: [], warnings: compiled.warnings, config: loaded.config };
}

/** The outcome of {@link compileLoaded}: a gateway and every warning, or the config's problems. */
export type Compiled = { readonly kind: 'compiled'; readonly gateway: Gateway; readonly warnings: readonly Problem[] } | { readonly kind: 'invalid'; readonly problems: readonly Problem[] };

/**
 * Creates the gateway of a loaded, valid `config` (`loaded.config`) with `transport`: the step
 * `validate` and `serve` share. Config errors become problems by file and path; warnings are
 * the loader's and the compiler's. Any other exception propagates.
 */
export function compileLoaded(config: GatewayConfig, loaded: LoadInputsResult, transport: Transport): Compiled {
  let gateway: Gateway;
  try {
    gateway = createGateway(config, { transport });
  } catch (err) {
    const issues = issuesOf(err);
    if (issues === undefined) throw err;
    return { kind: 'invalid', problems: toProblems(issues, loaded) };
  }
  return { kind: 'compiled', gateway, warnings: [...loaded.warnings, ...toProblems(gateway.plan().warnings, loaded)] };
}
