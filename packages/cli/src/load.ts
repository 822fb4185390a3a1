/**
 * Loading: files → documents → one gateway config.
 *
 * - A file is JSON (`.json`) or a YAML stream of one or more documents (`---`).
 * - Each document is dispatched by its keys: a document with `kind` (Kubernetes: Gateway API
 *   `HTTPRoute`, Istio `VirtualService` / `DestinationRule`, …) or `openapi` / `swagger` is a
 *   foreign document, handed to the {@link Importer}; any other document is switchyard's own
 *   config (a `GatewayConfig`, or a part of one).
 * - `${NAME}` in string values is replaced by the environment variable only when the caller
 *   passes `env` (the `--env` flag): never implicitly. The rule is `@switchyard/import`'s
 *   `substituteEnvAt` (upper-case names only, `${NAME:-default}`, `$${` a literal `${`, on parsed
 *   values, never on the text), the same for native and foreign documents.
 * - Merge rule (stable, documented in the README): routes are concatenated in the order the files
 *   are given, then document order inside a file, then list order inside a document; the routes
 *   of foreign documents come after all native routes, in the order the importer returns them
 *   (each format's own precedence: Gateway API creation time then name, Istio declaration order).
 *   `upstreams` and `limits` are unions: the same name twice is a problem. Any other top-level key
 *   (`selection`, `normalize`, …) may be set by several documents only to the same value.
 *
 * Every problem names its file, document and field path (and line when found), and the returned
 * `locate` maps a path of the merged config (as `createGateway` reports it) back to its source.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { envReferenceIn, substituteEnvAt } from '@switchyard/import';
import { LineCounter, parseAllDocuments, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { GatewayConfig } from '@switchyard/gateway';
import { joinPath, parsePath, type Problem } from './problems.js';

/** A document of a format switchyard imports rather than reads (see {@link Importer}). */
export interface ForeignDocument {
  /** The file as given on the command line. */
  readonly file: string;
  /** 0-based index in a multi-document file; absent for a single-document file. */
  readonly document?: number;
  /** `kubernetes` (a document with `apiVersion` / `kind`) or `openapi` (`openapi:` / `swagger:`). */
  readonly format: 'kubernetes' | 'openapi';
  /** The Kubernetes `kind`, or `OpenAPI`. */
  readonly kind: string;
  /** The parsed document (after `${ENV}` substitution when enabled). */
  readonly value: Readonly<Record<string, unknown>>;
}

/**
 * A finding of an importer; `path` is the field path inside the document it names. `document`
 * is either the index into the array the importer was given, or a reference by file and
 * 0-based position in the file (`@switchyard/import`'s `DocumentRef`: `{ kind, name, file, index }`).
 * The command maps it to file, document and line.
 */
export interface ImportIssue {
  readonly document?: number | { readonly file?: string | undefined; readonly index?: number | undefined; readonly kind?: string | undefined; readonly name?: string | undefined; readonly namespace?: string | undefined };
  readonly path: string;
  readonly message: string;
}

/** What the command gives an importer besides the documents. */
export interface ImporterContext {
  /**
   * Service names of the manifests → endpoint URLs, from `--backend name=url[,url…]`
   * (`reviews.default=http://127.0.0.1:9080`); keys as the importer's backend resolver reads them.
   */
  readonly backends: Readonly<Record<string, readonly string[]>>;
}

/** What an importer returns: a (partial) gateway config, plus what has no counterpart or is wrong. */
export interface ImportOutcome {
  readonly config: Partial<GatewayConfig> | undefined;
  readonly warnings: readonly ImportIssue[];
  readonly problems: readonly ImportIssue[];
  /** Where each imported route came from, by route name: its document and the path in it (`spec.rules[1]`). */
  readonly origins?: { readonly routes?: Readonly<Record<string, Omit<ImportIssue, 'message'>>> };
}

/**
 * Turns every foreign document of the inputs into switchyard config, in one call (a
 * VirtualService needs the DestinationRules of other documents). The seam for
 * `@switchyard/import`: the command works on native config without one, and reports foreign
 * documents as problems ("no importer for kind HTTPRoute") until one is given.
 */
export type Importer = (documents: readonly ForeignDocument[], context: ImporterContext) => ImportOutcome | Promise<ImportOutcome>;

/** Options of {@link loadInputs}. */
export interface LoadInputsOptions {
  /** Imports foreign documents (Gateway API, Istio, OpenAPI). */
  readonly importer?: Importer | undefined;
  /** Handed to the importer (`--backend`). Default: none. */
  readonly backends?: Readonly<Record<string, readonly string[]>> | undefined;
  /** Substitute `${NAME}` from these variables (opt-in: absent means no substitution at all). */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Reads a file (default: UTF-8 from disk). */
  readonly readText?: ((file: string) => Promise<string>) | undefined;
}

/** Where a reported path comes from. */
export interface Location {
  readonly file: string;
  readonly document?: number;
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
}

/** The result of {@link loadInputs}. */
export interface LoadInputsResult {
  /** The merged config, or undefined when a problem left nothing usable. Not yet validated. */
  readonly config: GatewayConfig | undefined;
  readonly problems: readonly Problem[];
  readonly warnings: readonly Problem[];
  /** Maps a path of the merged config (`routes[5].name`) to its file, document, local path and line. */
  locate(path: string): Location;
  /** How many native and foreign documents were read. */
  readonly documents: { readonly native: number; readonly foreign: number };
}

/**
 * @deprecated Use {@link LoadInputsOptions}: `@switchyard/testing` exports a different
 * `LoadOptions` (the load driver's), and one name for both was easy to mix up.
 */
export type LoadOptions = LoadInputsOptions;

/**
 * @deprecated Use {@link LoadInputsResult}: `@switchyard/testing` exports a different
 * `LoadResult` (one request's result in the load driver).
 */
export type LoadResult = LoadInputsResult;

/** One parsed document and what is needed to find a line in it. */
interface Source {
  readonly file: string;
  readonly document: number | undefined;
  /** Lazily built YAML document for positions (JSON files are parsed as YAML only to locate). */
  positions(): { doc: Document; lines: LineCounter } | undefined;
}

interface Origin {
  readonly source: Source;
  /** The local path prefix that replaces the merged one. */
  readonly prefix: readonly (string | number)[];
  /** How many leading segments of the merged path the prefix replaces. */
  readonly replaces: number;
}

const IMPORTED: Source = { file: '(imported)', document: undefined, positions: () => undefined };
const MERGED: Source = { file: '(merged)', document: undefined, positions: () => undefined };
const MERGED_KEYS = new Set(['routes', 'upstreams', 'limits']);

/**
 * Reads `files` and builds one gateway config (see the module comment for the rules). Never
 * throws for a problem in the input: it is in `problems`, with its file and path.
 *
 * @example
 * ```ts
 * const loaded = await loadInputs(['gateway.yaml', 'routes/*.yaml'], { env: process.env });
 * for (const p of loaded.problems) console.error(formatProblem(p));
 * ```
 */
export async function loadInputs(files: readonly string[], options: LoadInputsOptions = {}): Promise<LoadInputsResult> {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const read = options.readText ?? ((f: string) => readFile(f, 'utf8'));
  const natives: { source: Source; value: Record<string, unknown> }[] = [];
  const foreign: { source: Source; doc: ForeignDocument }[] = [];

  for (const file of options.readText === undefined ? await expandInputs(files) : files) {
    let text: string;
    try {
      text = await read(file);
    } catch (err) {
      problems.push({ file, path: '(file)', message: `cannot read: ${err instanceof Error ? err.message : String(err)}` });
      continue;
    }
    const docs = parseFile(file, text, problems, warnings);
    if (docs.length === 0 && !problems.some((p) => p.file === file)) warnings.push({ file, path: '(file)', message: 'holds no document' });
    for (const { source, value } of docs) {
      if (value === null || value === undefined) continue; // an empty document (`---` at the end)
      const located = (path: string, message: string): Problem => withPosition(source, parsePath(path) ?? [], { file: source.file, ...docOf(source), path, message });
      let v: unknown = value;
      if (options.env !== undefined) v = substituteEnvAt(v, options.env, (p, m) => problems.push(located(joinPath([...p]), m)));
      else mentionVariables(v, [], (p, m) => warnings.push(located(joinPath(p), m)));
      if (!isObject(v)) {
        problems.push(located('(root)', 'must be an object (a switchyard config, a Kubernetes resource or an OpenAPI document)'));
        continue;
      }
      const kind = foreignKind(v);
      if (kind === undefined) natives.push({ source, value: v });
      else foreign.push({ source, doc: { file: source.file, ...docOf(source), format: kind.format, kind: kind.kind, value: v } });
    }
  }

  const merged: Record<string, unknown> = { routes: [], upstreams: {} };
  const routeOrigins: Origin[] = [];
  /** Imported routes (by index in the merged config) → the manifest part they came from. */
  const importedRoutes = new Map<number, Location>();
  const keyOrigins = new Map<string, Origin>();
  const mergeInto = (source: Source, value: Readonly<Record<string, unknown>>): void => {
    const report = (path: (string | number)[], message: string): void => {
      problems.push(withPosition(source, path, { file: source.file, ...docOf(source), path: joinPath(path), message }));
    };
    for (const [key, item] of Object.entries(value)) {
      if (key === 'routes') {
        if (!Array.isArray(item)) {
          report(['routes'], 'must be an array of routes');
          continue;
        }
        item.forEach((route, i) => {
          // Imported routes are named by their place in the merged config, as `switchyard import` prints it.
          routeOrigins.push({ source, prefix: ['routes', source === IMPORTED ? routeOrigins.length : i], replaces: 2 });
          (merged['routes'] as unknown[]).push(route);
        });
      } else if (key === 'upstreams' || key === 'limits') {
        if (!isObject(item)) {
          report([key], key === 'upstreams' ? 'must be an object of upstream groups' : 'must be an object of named limits');
          continue;
        }
        const into = (merged[key] ??= {}) as Record<string, unknown>;
        for (const [name, def] of Object.entries(item)) {
          const id = `${key}\u0000${name}`;
          const earlier = keyOrigins.get(id);
          if (earlier !== undefined) {
            report([key, name], `${key === 'upstreams' ? 'upstream' : 'limit'} ${JSON.stringify(name)} is also defined in ${describeSource(earlier.source)}: each name once across all files`);
            continue;
          }
          keyOrigins.set(id, { source, prefix: [key, name], replaces: 2 });
          Object.defineProperty(into, name, { value: def, enumerable: true, writable: true, configurable: true });
        }
      } else {
        const earlier = keyOrigins.get(key);
        if (earlier !== undefined) {
          if (JSON.stringify(merged[key]) !== JSON.stringify(item)) report([key], `is also set, to another value, in ${describeSource(earlier.source)}: documents that set it must agree`);
          continue;
        }
        keyOrigins.set(key, { source, prefix: [key], replaces: 1 });
        Object.defineProperty(merged, key, { value: item, enumerable: true, writable: true, configurable: true });
      }
    }
  };
  for (const n of natives) mergeInto(n.source, n.value);

  if (foreign.length > 0) {
    if (options.importer === undefined) {
      for (const f of foreign) {
        problems.push(withPosition(f.source, ['kind'], { file: f.source.file, ...docOf(f.source), path: f.doc.format === 'openapi' ? '(root)' : 'kind', message: `${f.doc.kind} documents need an importer (@switchyard/import), which this build of the command does not have` }));
      }
    } else {
      const docs = foreign.map((f) => f.doc);
      let outcome: ImportOutcome | undefined;
      try {
        outcome = await options.importer(docs, { backends: options.backends ?? {} });
      } catch (err) {
        problems.push({ file: foreign[0]?.source.file ?? '(imported)', path: '(import)', message: `the importer failed: ${err instanceof Error ? err.message : String(err)}` });
      }
      if (outcome !== undefined) {
        const foreignOf = (ref: ImportIssue['document']): (typeof foreign)[number] | undefined =>
          ref === undefined ? undefined : typeof ref === 'number' ? foreign[ref] : foreign.find((x) => x.doc.file === ref.file && (x.doc.document ?? 0) === (ref.index ?? 0));
        const toProblem = (i: ImportIssue): Problem => {
          const ref = i.document;
          const f = foreignOf(ref);
          if (f === undefined) {
            const file = typeof ref === 'object' && ref.file !== undefined ? ref.file : '(imported)';
            return { file, ...(typeof ref === 'object' && ref.index !== undefined ? { document: ref.index } : {}), path: i.path, message: i.message };
          }
          return withPosition(f.source, parsePath(i.path) ?? [], { file: f.source.file, ...docOf(f.source), path: i.path, message: i.message });
        };
        for (const w of outcome.warnings) warnings.push(toProblem(w));
        for (const p of outcome.problems) problems.push(toProblem(p));
        if (outcome.config !== undefined) {
          const start = routeOrigins.length;
          mergeInto(IMPORTED, outcome.config as Readonly<Record<string, unknown>>);
          // An imported route is located at the manifest part it came from (`spec.rules[1]`).
          (outcome.config.routes ?? []).forEach((r, k) => {
            const origin = outcome.origins?.routes?.[r.name];
            const f = foreignOf(origin?.document);
            if (origin !== undefined && f !== undefined) importedRoutes.set(start + k, withPosition(f.source, parsePath(origin.path) ?? [], { file: f.source.file, ...docOf(f.source), path: origin.path }));
          });
        }
      }
    }
  }

  const nothing = natives.length === 0 && foreign.length === 0;
  if (nothing && problems.length === 0) problems.push({ file: files.length === 1 ? (files[0] as string) : '(arguments)', path: '(root)', message: 'no configuration found: no switchyard config, Kubernetes resource or OpenAPI document' });

  const sources = [...new Set([...natives.map((n) => n.source), ...foreign.map((f) => f.source)])];
  const locate = (path: string): Location => {
    const segs = parsePath(path);
    let origin: Origin | undefined;
    if (segs !== undefined) {
      const [head, second] = segs;
      if (segs.length === 2 && head === 'routes' && typeof second === 'number') {
        const imported = importedRoutes.get(second);
        if (imported !== undefined) return imported;
      }
      if (head === 'routes' && typeof second === 'number') origin = routeOrigins[second];
      else if ((head === 'upstreams' || head === 'limits') && typeof second === 'string') origin = keyOrigins.get(`${head}\u0000${second}`);
      else if (typeof head === 'string' && !MERGED_KEYS.has(head)) origin = keyOrigins.get(head);
    }
    if (origin === undefined || segs === undefined) {
      const only = sources.length === 1 ? sources[0] : undefined;
      const source = only ?? MERGED;
      return withPosition(source, segs ?? [], { file: source.file, ...docOf(source), path });
    }
    const local = [...origin.prefix, ...segs.slice(origin.replaces)];
    return withPosition(origin.source, local, { file: origin.source.file, ...docOf(origin.source), path: joinPath(local) });
  };

  return {
    config: nothing ? undefined : (merged as unknown as GatewayConfig),
    problems,
    warnings,
    locate,
    documents: { native: natives.length, foreign: foreign.length },
  };
}

/** The config files of a directory: `.yaml`, `.yml` and `.json`, not recursive. */
const CONFIG_FILE = /\.(?:ya?ml|json)$/i;

/**
 * The files `paths` name: a directory stands for its `.yaml`, `.yml` and `.json` files (not
 * recursively), sorted by name (code point order, whatever the locale), so that a directory loads
 * in the same order everywhere. Anything else is kept as given (a missing file is reported when read).
 */
export async function expandInputs(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let isDirectory = false;
    try {
      isDirectory = (await stat(path)).isDirectory();
    } catch {
      // reported by the read
    }
    if (!isDirectory) {
      out.push(path);
      continue;
    }
    const names = (await readdir(path, { withFileTypes: true })).filter((e) => e.isFile() && CONFIG_FILE.test(e.name)).map((e) => e.name);
    names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of names) out.push(join(path, name));
  }
  return out;
}

function docOf(source: Source): { document?: number } {
  return source.document === undefined ? {} : { document: source.document };
}

function describeSource(source: Source): string {
  return source.document === undefined ? source.file : `${source.file} (document ${source.document + 1})`;
}

/** Adds the line and column of `path` (or of its nearest ancestor that exists) in the source text. */
function withPosition<T extends { readonly path: string }>(source: Source, path: readonly (string | number)[], value: T): T & { line?: number; column?: number } {
  const pos = source.positions();
  if (pos === undefined) return value;
  for (let n = path.length; n >= 0; n--) {
    const node = (n === 0 ? pos.doc.contents : pos.doc.getIn(path.slice(0, n), true)) as YamlNode | null | undefined;
    const range = node?.range;
    if (range !== undefined && range !== null) {
      const { line, col } = pos.lines.linePos(range[0]);
      return { ...value, line, column: col };
    }
  }
  return value;
}

/** Parses a file into its documents, reporting syntax errors with their line and column. */
function parseFile(file: string, text: string, problems: Problem[], warnings: Problem[]): { source: Source; value: unknown }[] {
  if (file.endsWith('.json')) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      problems.push({ file, path: '(document)', message: `invalid JSON: ${message}`, ...jsonErrorPosition(text, message) });
      return [];
    }
    let cached: { doc: Document; lines: LineCounter } | null | undefined;
    const source: Source = {
      file,
      document: undefined,
      positions: () => {
        if (cached === undefined) {
          // JSON is YAML 1.2 flow syntax: the YAML parser gives us positions for free.
          const lines = new LineCounter();
          const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: false });
          cached = doc.errors.length === 0 ? { doc, lines } : null;
        }
        return cached ?? undefined;
      },
    };
    return [{ source, value }];
  }

  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [];
  const multi = list.length > 1;
  const out: { source: Source; value: unknown }[] = [];
  list.forEach((doc, i) => {
    const document = multi ? i : undefined;
    const base = { file, ...(document === undefined ? {} : { document }) };
    for (const w of doc.warnings) warnings.push({ ...base, path: '(document)', message: `YAML: ${firstLine(w.message)}`, ...pos(w.linePos?.[0]) });
    if (doc.errors.length > 0) {
      for (const e of doc.errors) problems.push({ ...base, path: '(document)', message: `invalid YAML: ${firstLine(e.message)}`, ...pos(e.linePos?.[0]) });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      // An alias with no anchor, or too many alias expansions (billion laughs).
      problems.push({ ...base, path: '(document)', message: `invalid YAML: ${err instanceof Error ? err.message : String(err)}` });
      return;
    }
    const source: Source = { file, document, positions: () => ({ doc, lines }) };
    const cycle = cyclePath(value);
    if (cycle !== undefined) {
      problems.push(withPosition(source, parsePath(cycle) ?? [], { ...base, path: cycle, message: 'invalid YAML: an alias refers to a node that contains it (a cycle)' }));
      return;
    }
    // A document that is only a comment parses to null: the caller skips it.
    out.push({ source, value });
  });
  return out;
}

function pos(p: { line: number; col: number } | undefined): { line?: number; column?: number } {
  return p === undefined ? {} : { line: p.line, column: p.col };
}

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}

/**
 * Where JSON.parse failed: V8 names the offset in some messages (`at position 12`), not in others
 * (`Unexpected token ',', "…" is not valid JSON`); the YAML parser, which reads JSON as flow
 * YAML, then gives the line of the first error it finds.
 */
function jsonErrorPosition(text: string, message: string): { line?: number; column?: number } {
  const at = /position (\d+)/.exec(message);
  if (at !== null) return lineCol(text, Number(at[1]));
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  return pos(doc.errors[0]?.linePos?.[0]);
}

function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/** The path of the first value that contains itself (`&a [*a]`), or undefined for a tree / DAG. */
function cyclePath(root: unknown): string | undefined {
  const ancestors = new Set<object>();
  const visit = (value: unknown, path: (string | number)[]): string | undefined => {
    if (typeof value !== 'object' || value === null) return undefined;
    if (ancestors.has(value)) return joinPath(path);
    ancestors.add(value);
    const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
    for (const [k, child] of entries) {
      const found = visit(child, [...path, k]);
      if (found !== undefined) return found;
    }
    ancestors.delete(value);
    return undefined;
  };
  return visit(root, []);
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** `kind` + `apiVersion` (Kubernetes) or `openapi` / `swagger` (OpenAPI); undefined for native config. */
function foreignKind(value: Record<string, unknown>): { format: 'kubernetes' | 'openapi'; kind: string } | undefined {
  if (typeof value['openapi'] === 'string' || typeof value['swagger'] === 'string') return { format: 'openapi', kind: 'OpenAPI' };
  if (typeof value['kind'] === 'string') return { format: 'kubernetes', kind: value['kind'] };
  return undefined;
}

/** Without `--env`, a `${NAME}` stays as written: say so once per value, so nobody ships it by mistake. */
function mentionVariables(value: unknown, path: (string | number)[], report: (path: (string | number)[], message: string) => void): void {
  if (typeof value === 'string') {
    const ref = envReferenceIn(value);
    if (ref !== undefined) report(path, `contains ${ref}, kept as written: pass --env to substitute environment variables`);
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => mentionVariables(v, [...path, i], report));
  else if (isObject(value)) for (const [k, v] of Object.entries(value)) mentionVariables(v, [...path, k], report);
}
