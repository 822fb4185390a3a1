/**
 * The `switchyard` command: verbs, flags (`node:util` `parseArgs`) and exit codes; the help
 * texts are in `help.ts`, the explanation's text in `explain-render.ts`.
 *
 * Exit codes (CONVENTIONS.md § Command line): 0 success, 1 a problem found in the input (a file
 * that cannot be read or parsed, an invalid config, a server that cannot start), 2 a usage error
 * (unknown verb or flag, missing argument, malformed value).
 */
import { writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { stringify } from 'yaml';
import { createUndiciTransport } from '@switchyard/transport-undici';
import { compareReports, renderHtmlReport, runScenario, type ComparisonReport, type SimulationReport } from '@switchyard/simulate';
import { checkConfig, issuesOf, type Checked } from './check.js';
import { explain, requestOf } from './explain.js';
import { renderExplanation } from './explain-render.js';
import { HELP, MAIN_HELP, VERBS, type Verb } from './help.js';
import { loadInputs, type Importer, type LoadInputsResult } from './load.js';
import { styleFor, type CommandIo } from './output.js';
import { formatProblem, type Problem } from './problems.js';
import { serve } from './serve.js';
import { loadScenario, renderComparison, renderReport } from './simulate.js';
import pkg from '../package.json' with { type: 'json' };

/** Exit code: success. */
export const EXIT_OK = 0;
/** Exit code: a problem in the input (file, config), or a server that could not start. */
export const EXIT_PROBLEM = 1;
/** Exit code: a usage error (unknown verb or flag, missing argument, malformed value). */
export const EXIT_USAGE = 2;

/** Options of {@link run} beyond the I/O. */
export interface RunOptions {
  /** Imports Gateway API / Istio / OpenAPI documents (the seam for `@switchyard/import`). */
  readonly importer?: Importer | undefined;
}

class UsageError extends Error {}

const BACKEND = { type: 'string', multiple: true } as const;
const OPTIONS = {
  validate: { json: { type: 'boolean' }, strict: { type: 'boolean' }, env: { type: 'boolean' }, backend: BACKEND, help: { type: 'boolean', short: 'h' } },
  explain: {
    header: { type: 'string', short: 'H', multiple: true },
    'client-address': { type: 'string' },
    json: { type: 'boolean' },
    env: { type: 'boolean' },
    backend: BACKEND,
    help: { type: 'boolean', short: 'h' },
  },
  import: { format: { type: 'string' }, env: { type: 'boolean' }, backend: BACKEND, help: { type: 'boolean', short: 'h' } },
  serve: {
    port: { type: 'string' },
    host: { type: 'string' },
    'admin-port': { type: 'string' },
    'admin-host': { type: 'string' },
    'admin-token-env': { type: 'string' },
    watch: { type: 'boolean' },
    'drain-timeout': { type: 'string' },
    env: { type: 'boolean' },
    backend: BACKEND,
    help: { type: 'boolean', short: 'h' },
  },
  simulate: {
    config: { type: 'string', multiple: true },
    scenario: { type: 'string' },
    compare: { type: 'string', multiple: true },
    json: { type: 'string' },
    html: { type: 'string' },
    seed: { type: 'string' },
    env: { type: 'boolean' },
    backend: BACKEND,
    help: { type: 'boolean', short: 'h' },
  },
} as const satisfies Record<Verb, ParseArgsConfig['options']>;

/**
 * Runs the command with `argv` (without `node` and the script) and resolves with the exit code.
 * `serve` resolves only once the server has drained and stopped.
 *
 * @example
 * ```ts
 * process.exitCode = await run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * ```
 */
export async function run(argv: readonly string[], io: CommandIo, options: RunOptions = {}): Promise<number> {
  const err = styleFor(io.stderr, io.env);
  const [verb, ...rest] = argv;
  if (verb === undefined) {
    io.stderr.write(MAIN_HELP);
    return EXIT_USAGE;
  }
  if (verb === '-h' || verb === '--help' || verb === 'help') {
    const topic = rest[0];
    if (topic !== undefined && isVerb(topic)) io.stdout.write(HELP[topic]);
    else io.stdout.write(MAIN_HELP);
    return EXIT_OK;
  }
  if (verb === '--version' || verb === '-v') {
    io.stdout.write(`switchyard ${pkg.version}\n`);
    return EXIT_OK;
  }
  if (!isVerb(verb)) {
    io.stderr.write(`${err.red('error')}: unknown command ${JSON.stringify(verb)}\n\n${MAIN_HELP}`);
    return EXIT_USAGE;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: [...rest], options: OPTIONS[verb], allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError(e instanceof Error ? e.message : String(e));
    }
    const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
    if (values['help'] === true) {
      io.stdout.write(HELP[verb]);
      return EXIT_OK;
    }
    const flags: LoadFlags = { env: values['env'] === true ? io.env : undefined, importer: options.importer, backends: backendsOf(values['backend'] as string[] | undefined) };
    const positionals = parsed.positionals;
    switch (verb) {
      case 'validate':
        return await validateVerb(positionals, values, io, flags);
      case 'explain':
        return await explainVerb(positionals, values, io, flags);
      case 'import':
        return await importVerb(positionals, values, io, flags);
      case 'serve':
        return await serveVerb(positionals, values, io, flags);
      case 'simulate':
        return await simulateVerb(positionals, values, io, flags);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr.write(`${err.red('usage error')}: ${e.message}\nRun 'switchyard ${verb} --help' for usage.\n`);
      return EXIT_USAGE;
    }
    throw e;
  }
}

function isVerb(s: string): s is Verb {
  return (VERBS as readonly string[]).includes(s);
}

type Values = Record<string, string | boolean | string[] | undefined>;
interface LoadFlags {
  readonly env: CommandIo['env'] | undefined;
  readonly importer: Importer | undefined;
  readonly backends: Readonly<Record<string, readonly string[]>>;
}

/** `--backend reviews.default=http://a:9080,http://b:9080` (repeatable) → `{ 'reviews.default': [urls] }`. */
function backendsOf(flags: readonly string[] | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of flags ?? []) {
    const eq = f.indexOf('=');
    const urls = eq < 0 ? [] : f.slice(eq + 1).split(',').map((u) => u.trim()).filter((u) => u !== '');
    if (eq <= 0 || urls.length === 0) throw new UsageError(`--backend is name=url[,url...], not ${JSON.stringify(f)}`);
    const name = f.slice(0, eq).trim();
    Object.defineProperty(out, name, { value: [...(out[name] ?? []), ...urls], enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function needFiles(files: readonly string[]): void {
  if (files.length === 0) throw new UsageError('at least one file is required');
}

function printProblems(io: CommandIo, problems: readonly Problem[], warnings: readonly Problem[]): void {
  const s = styleFor(io.stderr, io.env);
  for (const w of warnings) io.stderr.write(`${s.yellow('warning')}: ${formatProblem(w)}\n`);
  for (const p of problems) io.stderr.write(`${s.red('error')}: ${formatProblem(p)}\n`);
}

async function loadAndCheck(files: readonly string[], flags: LoadFlags): Promise<{ loaded: LoadInputsResult; checked: Checked }> {
  const loaded = await loadInputs(files, { env: flags.env, importer: flags.importer, backends: flags.backends });
  const checked = await checkConfig(loaded, createUndiciTransport());
  return { loaded, checked };
}

async function validateVerb(files: readonly string[], values: Values, io: CommandIo, flags: LoadFlags): Promise<number> {
  needFiles(files);
  const { loaded, checked } = await loadAndCheck(files, flags);
  const strict = values['strict'] === true;
  const problems = strict ? [...checked.problems, ...checked.warnings] : checked.problems;
  const ok = problems.length === 0;
  if (values['json'] === true) {
    const report = {
      ok,
      files: [...files],
      documents: loaded.documents,
      routes: checked.config?.routes.length ?? 0,
      upstreams: checked.config === undefined ? 0 : Object.keys(checked.config.upstreams).length,
      problems: problems.map(plainProblem),
      warnings: (strict ? [] : checked.warnings).map(plainProblem),
    };
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return ok ? EXIT_OK : EXIT_PROBLEM;
  }
  if (strict) printProblems(io, problems, []);
  else printProblems(io, checked.problems, checked.warnings);
  const s = styleFor(io.stdout, io.env);
  if (ok && checked.config !== undefined) {
    const n = checked.config.routes.length;
    const u = Object.keys(checked.config.upstreams).length;
    const w = checked.warnings.length;
    io.stdout.write(`${s.green('valid')}: ${n} route${n === 1 ? '' : 's'}, ${u} upstream${u === 1 ? '' : 's'} from ${files.length} file${files.length === 1 ? '' : 's'}${w > 0 ? `, ${w} warning${w === 1 ? '' : 's'}` : ''}\n`);
    return EXIT_OK;
  }
  io.stdout.write(`${s.red('invalid')}: ${problems.length} problem${problems.length === 1 ? '' : 's'}\n`);
  return EXIT_PROBLEM;
}

/** A problem as JSON: the same fields, in a fixed order, without undefined ones. */
function plainProblem(p: Problem): Problem {
  return {
    file: p.file,
    ...(p.document !== undefined ? { document: p.document } : {}),
    path: p.path,
    message: p.message,
    ...(p.line !== undefined ? { line: p.line } : {}),
    ...(p.column !== undefined ? { column: p.column } : {}),
  };
}

async function explainVerb(positionals: readonly string[], values: Values, io: CommandIo, flags: LoadFlags): Promise<number> {
  if (positionals.length < 3) throw new UsageError('explain needs <files...> <METHOD> <URL>');
  const files = positionals.slice(0, -2);
  const method = positionals[positionals.length - 2] as string;
  const url = positionals[positionals.length - 1] as string;
  const headers: [string, string][] = [];
  for (const h of (values['header'] as string[] | undefined) ?? []) {
    const colon = h.indexOf(':');
    if (colon <= 0) throw new UsageError(`a header is 'name: value': ${JSON.stringify(h)}`);
    headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
  }
  const built = requestOf({ method, url, headers, clientAddress: (values['client-address'] as string | undefined) ?? '127.0.0.1' });
  if (!built.ok) throw new UsageError(built.message);
  const { loaded, checked } = await loadAndCheck(files, flags);
  if (checked.config === undefined) {
    printProblems(io, checked.problems, checked.warnings);
    return EXIT_PROBLEM;
  }
  const e = await explain(checked.config, built.request, loaded.locate);
  if (values['json'] === true) io.stdout.write(`${JSON.stringify(e, null, 2)}\n`);
  else io.stdout.write(renderExplanation(e, styleFor(io.stdout, io.env)));
  return EXIT_OK;
}


async function importVerb(files: readonly string[], values: Values, io: CommandIo, flags: LoadFlags): Promise<number> {
  needFiles(files);
  const format = (values['format'] as string | undefined) ?? 'yaml';
  if (format !== 'yaml' && format !== 'json') throw new UsageError(`--format must be yaml or json, not ${JSON.stringify(format)}`);
  const { loaded, checked } = await loadAndCheck(files, flags);
  printProblems(io, checked.problems, checked.warnings);
  const config = loaded.config;
  if (config !== undefined) io.stdout.write(format === 'json' ? `${JSON.stringify(config, null, 2)}\n` : stringify(config, { aliasDuplicateObjects: false }));
  return checked.problems.length === 0 ? EXIT_OK : EXIT_PROBLEM;
}

/** `30s`, `500ms`, `2m`, or a bare number of seconds → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
}

function port(text: string | undefined, flag: string, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) > 65535) throw new UsageError(`${flag} must be a port number (0-65535), not ${JSON.stringify(text)}`);
  return Number(text);
}

async function serveVerb(files: readonly string[], values: Values, io: CommandIo, flags: LoadFlags): Promise<number> {
  needFiles(files);
  const drain = values['drain-timeout'] === undefined ? 30_000 : parseDuration(values['drain-timeout'] as string);
  if (drain === undefined) throw new UsageError(`--drain-timeout must be a duration such as 30s or 500ms, not ${JSON.stringify(values['drain-timeout'])}`);
  const tokenEnv = values['admin-token-env'] as string | undefined;
  const adminToken = tokenEnv === undefined ? undefined : io.env[tokenEnv];
  if (tokenEnv !== undefined && (adminToken === undefined || adminToken === '')) throw new UsageError(`--admin-token-env ${tokenEnv}: the environment variable ${tokenEnv} is not set or is empty`);
  return serve({
    adminToken,
    files,
    port: port(values['port'] as string | undefined, '--port', 8080),
    host: (values['host'] as string | undefined) ?? '127.0.0.1',
    adminPort: port(values['admin-port'] as string | undefined, '--admin-port', 9901),
    adminHost: (values['admin-host'] as string | undefined) ?? '127.0.0.1',
    watch: values['watch'] === true,
    drainTimeoutMs: drain,
    env: flags.env,
    importer: flags.importer,
    backends: flags.backends,
    io,
  });
}

/** A label for a set of config files in a report: their base names. */
function labelOf(files: readonly string[]): string {
  return files.map((f) => basename(f)).join('+');
}

async function simulateVerb(positionals: readonly string[], values: Values, io: CommandIo, flags: LoadFlags): Promise<number> {
  if (positionals.length > 0) throw new UsageError(`simulate takes no positional arguments (give --config and --scenario), got ${JSON.stringify(positionals[0])}`);
  const configFiles = (values['config'] as string[] | undefined) ?? [];
  const compareFiles = (values['compare'] as string[] | undefined) ?? [];
  const scenarioFile = values['scenario'] as string | undefined;
  if (configFiles.length === 0) throw new UsageError('--config <file> is required');
  if (scenarioFile === undefined) throw new UsageError('--scenario <file> is required');
  let seed: number | undefined;
  if (values['seed'] !== undefined) {
    const text = values['seed'] as string;
    if (!/^\d+$/.test(text) || Number(text) > 2 ** 32 - 1) throw new UsageError(`--seed must be an integer 0-4294967295, not ${JSON.stringify(text)}`);
    seed = Number(text);
  }
  const jsonTarget = values['json'] as string | undefined;
  const htmlTarget = values['html'] as string | undefined;

  const a = await loadAndCheck(configFiles, flags);
  const b = compareFiles.length > 0 ? await loadAndCheck(compareFiles, flags) : undefined;
  const loaded = await loadScenario(scenarioFile);
  const problems = [...a.checked.problems, ...(b?.checked.problems ?? []), ...(loaded.kind === 'invalid' ? loaded.problems : [])];
  if (problems.length > 0 || a.checked.config === undefined || (b !== undefined && b.checked.config === undefined) || loaded.kind === 'invalid') {
    printProblems(io, problems, []);
    return EXIT_PROBLEM;
  }
  const options = seed === undefined ? {} : { seed };
  const run1 = async (config: NonNullable<Checked['config']>, label: string): Promise<SimulationReport | number> => {
    try {
      return await runScenario(config, loaded.scenario, { label, ...options });
    } catch (err) {
      const issues = issuesOf(err);
      if (issues === undefined) throw err;
      // The scenario names something the config does not have (an upstream, an endpoint, a zone).
      printProblems(io, issues.map((i) => ({ file: scenarioFile, path: i.path, message: `${i.message} (config ${label})`, ...loaded.locate(i.path) })), []);
      return EXIT_PROBLEM;
    }
  };
  const labelA = labelOf(configFiles);
  const labelB = labelOf(compareFiles);
  const ra = await run1(a.checked.config, labelB === labelA ? `A: ${labelA}` : labelA);
  if (typeof ra === 'number') return ra;
  let result: SimulationReport | ComparisonReport = ra;
  if (b?.checked.config !== undefined) {
    const rb = await run1(b.checked.config, labelB === labelA ? `B: ${labelB}` : labelB);
    if (typeof rb === 'number') return rb;
    result = compareReports(ra, rb);
  }
  const s = styleFor(io.stdout, io.env);
  if (jsonTarget === '-') io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    io.stdout.write(result.format === 'switchyard.simulation-comparison/v1' ? renderComparison(result, s) : renderReport(result, s));
    if (jsonTarget !== undefined) {
      await writeFile(jsonTarget, `${JSON.stringify(result, null, 2)}\n`);
      io.stdout.write(s.dim(`\nJSON report written to ${jsonTarget}\n`));
    }
  }
  if (htmlTarget !== undefined) {
    await writeFile(htmlTarget, renderHtmlReport(result));
    if (jsonTarget !== '-') io.stdout.write(s.dim(`HTML report written to ${htmlTarget}\n`));
  }
  return EXIT_OK;
}
