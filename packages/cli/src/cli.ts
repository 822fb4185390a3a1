/**
 * The `switchyard` command: verbs, flags (`node:util` `parseArgs`), help and exit codes.
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
import { compareReports, runScenario, type ComparisonReport, type SimulationReport } from '@switchyard/simulate';
import { checkConfig, issuesOf, type Checked } from './check.js';
import { explain, inline, requestOf, type Explanation } from './explain.js';
import { loadInputs, type Importer, type LoadResult } from './load.js';
import { styleFor, type CommandIo, type Style } from './output.js';
import { formatProblem, type Problem } from './problems.js';
import { serve } from './serve.js';
import { renderHtmlReport } from './html-report.js';
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

const VERBS = ['validate', 'explain', 'import', 'serve', 'simulate'] as const;
type Verb = (typeof VERBS)[number];

const MAIN_HELP = `Usage: switchyard <command> [options]

Load, check and run switchyard gateway configs (YAML or JSON; Gateway API, Istio and OpenAPI
documents through an importer).

Commands:
  validate <files...>                      check configs, report every problem by file and path
  explain <files...> <METHOD> <URL>        show which route a request takes and what is sent upstream
  import <files...>                        print the switchyard config built from the files
  serve <files...>                         run a gateway in front of the configured upstreams
  simulate --config <f> --scenario <f>     run a what-if scenario through the config on a fake clock

Run 'switchyard <command> --help' for a command's options; 'switchyard --version' prints the version.

Exit codes: 0 ok, 1 a problem in the input, 2 a usage error.
`;

const LOADING_HELP = `Loading:
  Files are JSON (.json) or YAML streams of one or more documents; a directory stands for its
  .yaml, .yml and .json files in name order. Documents with 'kind' or 'openapi' are imported;
  others are switchyard config. Routes keep the order of the files on the command line, then of
  the documents, then of the list; imported routes come last. Upstreams and limits are merged
  by name (a name defined twice is a problem).
  --env        substitute \${NAME} (and \${NAME:-default}) in string values from the environment;
               off unless given; names are upper-case ($\${ is a literal \${)
  --backend name=url[,url...]
               endpoints of a service that imported manifests name (reviews.default=http://127.0.0.1:9080);
               repeatable
`;

const HELP: Record<Verb, string> = {
  validate: `Usage: switchyard validate <files...> [--json] [--strict] [--env]

Loads the files as one config and validates it with the gateway's own compiler. Every problem is
printed on stderr as 'file:line:column (document n): path: message'.

Options:
  --json       print a machine-readable report on stdout (for CI):
               { ok, files, documents, routes, upstreams, problems: [...], warnings: [...] }
  --strict     treat warnings as problems (exit 1)
  --env        substitute \${NAME} from the environment (see Loading)
  -h, --help   show this help

${LOADING_HELP}
Exit codes: 0 valid, 1 problems found, 2 usage error.
`,
  explain: `Usage: switchyard explain <files...> <METHOD> <URL> [-H 'name: value']... [--json]

Shows what the gateway would do with one request, without sending it: the route that matches
and the conditions that made it match (or why each route did not), the route the other
precedence mode (gateway / first-match) would pick, the stages that apply (fault, limits,
redirect, experiment, split, rewrite, mirror, forward policy), the backend the split picks and
the upstream request that would be sent (method, URL, headers after rewriting), or the answer
the gateway gives itself (redirect, 404, 429).

URL is absolute (http://shop.example.com/a?b=1) or a path (/a?b=1; the host is then the Host
header, or localhost). Splits, fractions and fault percentages use a fixed random seed, so the
same command explains the same way every time.

Options:
  -H, --header 'name: value'   a request header (repeatable)
  --client-address <ip>        the client's address (client-ip limits, clientCidrs); default 127.0.0.1
  --json                       print the explanation as JSON
  --env                        substitute \${NAME} from the environment (see Loading)
  -h, --help                   show this help

${LOADING_HELP}
Exit codes: 0 explained (also when no route matches), 1 invalid config, 2 usage error.
`,
  import: `Usage: switchyard import <files...> [--format yaml|json] [--env]

Builds the switchyard config from the files (Gateway API, Istio and OpenAPI documents through
the importer; switchyard documents as they are, merged) and prints it on stdout. Warnings (what
has no switchyard counterpart) and problems go to stderr with their file and path.

Options:
  --format yaml|json   output format (default yaml)
  --env                substitute \${NAME} from the environment (see Loading)
  -h, --help           show this help

${LOADING_HELP}
Exit codes: 0 imported, 1 problems found (the config, if one was built, is still printed), 2 usage error.
`,
  serve: `Usage: switchyard serve <files...> [--port 8080] [--host 127.0.0.1] [--admin-port 9901] [--watch]

Runs a gateway (undici transport) in front of the configured upstreams.

Options:
  --port <n>             traffic port (default 8080; 0 picks a free port)
  --host <addr>          traffic address (default 127.0.0.1)
  --admin-port <n>       admin port (default 9901; 0 picks a free port): GET /metrics
                         (Prometheus text), /healthz (liveness), /ready (503 while starting or
                         draining). Never served on the traffic port.
  --admin-host <addr>    admin address (default 127.0.0.1, whatever --host is)
  --watch                reload when a file changes (polled every 200 ms); an invalid edit keeps
                         the running config and prints why
  --drain-timeout <t>    on SIGTERM / SIGINT, how long in-flight requests may take to finish
                         (default 30s; units ms, s, m; a bare number is seconds)
  --env                  substitute \${NAME} from the environment (see Loading)
  -h, --help             show this help

Signals: SIGHUP reloads the files. SIGTERM / SIGINT drain: stop accepting connections, mark
/ready 503, wait for in-flight requests (up to --drain-timeout), then exit 0. A second signal
while draining exits at once with code 1.

${LOADING_HELP}
Exit codes: 0 stopped after draining, 1 invalid config or cannot listen, 2 usage error.
`,
  simulate: `Usage: switchyard simulate --config <files...> --scenario <file> [--compare <files...>]
                          [--json <file>] [--html <file>] [--seed <n>]

Runs a what-if scenario (a simulated fleet, scheduled failures and traffic: see
docs/guides/what-if.md) through the real gateway code on a fake clock, and prints latency
percentiles and success rate per route, version and endpoint, 429s per rule, retries,
ejections and the rollout steps with their reasons. Deterministic: the same seed gives the same
report, byte for byte.

Options:
  --config <file>      the gateway config (repeatable: files are merged as 'serve' merges them;
                       switchyard config, Gateway API, Istio and OpenAPI documents)
  --scenario <file>    the scenario (YAML or JSON); samples files of 'empirical' latencies are
                       read relative to it
  --compare <file>     a second config (repeatable) run on the same seeded scenario: both
                       summaries, then the figures that differ
  --json <file>        write the JSON report (or the comparison) to <file>; '-' for stdout
                       (the text summary is then not printed)
  --html <file>        write the report as one self-contained HTML page
  --seed <n>           override the scenario's seed (an integer 0-4294967295)
  --env                substitute \${NAME} from the environment in the config files (see Loading)
  -h, --help           show this help

${LOADING_HELP}
Exit codes: 0 simulated, 1 a problem in a config or the scenario, 2 usage error.
`,
};

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

async function loadAndCheck(files: readonly string[], flags: LoadFlags): Promise<{ loaded: LoadResult; checked: Checked }> {
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

/** The human-readable explanation. */
export function renderExplanation(e: Explanation, s: Style): string {
  const lines: string[] = [];
  const label = (l: string): string => s.bold(l.padEnd(10));
  const r = e.request;
  lines.push(`${s.bold(`${r.method} ${r.scheme}://${r.authority}${r.path}${r.query === '' ? '' : `?${r.query}`}`)}`);
  if (e.badRequest !== undefined) {
    lines.push(`${label('route')} ${s.red('refused before routing')}: ${e.badRequest}`);
  } else if (e.route === undefined) {
    lines.push(`${label('route')} ${s.red('no route matches')} (selection: ${e.selection})`);
    for (const m of e.nearMisses) {
      const where = m.match === undefined ? '' : ` matches[${m.match}]`;
      const why = m.failed === undefined ? 'every condition holds alone (a runtime fraction or the combination excluded it)' : `${m.failed.kind} ${m.failed.condition} ≠ ${m.failed.actual === undefined ? '(absent)' : JSON.stringify(m.failed.actual)}`;
      lines.push(`${' '.repeat(11)}${m.route}${where}: ${why}`);
    }
  } else {
    const rt = e.route;
    const src = `${rt.source.file}${rt.source.line !== undefined ? `:${rt.source.line}` : ''}`;
    lines.push(`${label('route')} ${s.green(rt.name)} ${s.dim(`(routes[${rt.index}], ${src}; selection: ${e.selection})`)}`);
    lines.push(`${label('matched')} ${rt.match === undefined ? 'no matches configured: every request' : `matches[${rt.match}]`}`);
    for (const c of rt.conditions) {
      const mark = c.holds === false ? s.red('✗') : c.holds === undefined ? s.yellow('?') : s.green('✓');
      lines.push(`${' '.repeat(11)}${mark} ${c.kind} ${c.condition}${c.actual !== undefined ? s.dim(`  (request: ${JSON.stringify(c.actual)})`) : c.kind === 'header' || c.kind === 'query' ? s.dim('  (request: absent)') : ''}`);
    }
    if (Object.keys(rt.params).length > 0) lines.push(`${label('params')} ${Object.entries(rt.params).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  const o = e.otherSelection;
  lines.push(`${label('otherwise')} with selection ${o.selection}: ${o.route ?? 'no route'}${o.differs ? s.yellow(' (differs)') : s.dim(' (same)')}`);
  if (e.stages.length > 0) lines.push(`${label('stages')} ${e.stages.map((x) => x.stage).join(' → ')}`);
  let limit = 0;
  for (const x of e.stages) {
    if (x.stage === 'limit') {
      const l = e.limits[limit++];
      lines.push(`${label('limit')} ${x.detail}${l?.limited === true ? s.red(' → limited (429)') : ''}`);
    } else if (x.stage === 'split' && e.split !== undefined) {
      const sp = e.split;
      const chosen = sp.chosen === undefined ? '' : ` → ${s.green(sp.chosen)} (${sp.by ?? 'random'})`;
      const parts = sp.backends.length === 1 ? `${(sp.backends[0] as { name: string }).name} (the only backend)` : sp.backends.map((b) => `${b.name} ${b.percent}%`).join(', ');
      lines.push(`${label('split')} ${parts}${sp.backends.length === 1 ? '' : chosen}${sp.key !== undefined ? s.dim(`  key ${inline(sp.key)}`) : ''}`);
    } else lines.push(`${label(x.stage)} ${x.detail}`);
  }
  if (e.pipeline !== undefined && (e.pipeline.inbound.some((x) => x.kind === 'policy') || e.pipeline.outbound.length > 0)) {
    // The route's compiled pipeline (`gateway.explain(route)`): inbound in the order it runs,
    // outbound in the order it unwinds, and the finalizers that run on every response.
    const p = e.pipeline;
    const step = (x: (typeof p.inbound)[number]): string =>
      x.kind === 'stage' ? s.dim(x.name) : `${x.name}${s.dim(` (${x.type}${x.scope === 'gateway' ? ', gateway-wide' : ''}${x.when !== undefined ? `, ${inline(x.when)}` : ''})`)}`;
    lines.push(`${label('inbound')} ${p.inbound.map(step).join(' → ')}`);
    lines.push(`${label('outbound')} ${p.outbound.length === 0 ? s.dim('(none)') : p.outbound.map((x) => `${x.name}${x.as === 'response-only' ? s.dim(' (response only)') : ''}`).join(' → ')}`);
    lines.push(`${label('finalizers')} ${p.finalizers.length === 0 ? s.dim('(none)') : p.finalizers.join(', ')}`);
  }
  if (e.upstream !== undefined) {
    lines.push(`${label('upstream')} ${s.bold(`${e.upstream.method} ${e.upstream.url}`)} ${s.dim(`(endpoint ${e.upstream.endpoint})`)}`);
    for (const [k, v] of Object.entries(e.upstream.headers)) lines.push(`${' '.repeat(11)}${k}: ${v}`);
  }
  if (e.response !== undefined) {
    const loc = e.response.headers['location'];
    lines.push(`${label('response')} ${s.bold(String(e.response.status))}${loc !== undefined ? ` location: ${loc}` : ''}${e.response.body !== undefined && loc === undefined ? ` ${e.response.body}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
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
  return serve({
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
  const render = renderHtmlReport;
  if (htmlTarget !== undefined && render === undefined) throw new UsageError('--html is not available in this build yet (the HTML report is being added); use --json');

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
  if (htmlTarget !== undefined && render !== undefined) {
    await writeFile(htmlTarget, render(result));
    if (jsonTarget !== '-') io.stdout.write(s.dim(`HTML report written to ${htmlTarget}\n`));
  }
  return EXIT_OK;
}
