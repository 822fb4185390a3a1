/**
 * Problems and warnings as the command reports them: each names its file, the document in that
 * file (YAML streams hold several), the field path inside the document, and the line when the
 * file is YAML or JSON text we could locate it in.
 */
import { formatPath } from '@switchyard/core';

/** One finding, located. */
export interface Problem {
  /** The file as given on the command line; `(merged)` for the config the files make together. */
  readonly file: string;
  /** 0-based index of the document in a multi-document YAML file (absent for single-document files). */
  readonly document?: number;
  /** Field path inside the document, as the gateway reports it: `routes[2].backends[0].weight`. */
  readonly path: string;
  readonly message: string;
  /** 1-based line and column of the field in the file, when known. */
  readonly line?: number;
  readonly column?: number;
}

/** `file:line:col (document 2) routes[0].name: message`, the form editors and CI logs link. */
export function formatProblem(p: Problem): string {
  const at = p.line !== undefined ? `${p.file}:${p.line}${p.column !== undefined ? `:${p.column}` : ''}` : p.file;
  const doc = p.document !== undefined ? ` (document ${p.document + 1})` : '';
  return `${at}${doc}: ${p.path}: ${p.message}`;
}

/** Parses a reported path (`routes[2].matches[0]`, `upstreams["a-b"].endpoints`) back into segments. */
export function parsePath(path: string): (string | number)[] | undefined {
  if (path === '' || path === '(root)') return [];
  if (path.startsWith('(')) return undefined; // `(document)`, `(line 3, column 4)`
  const out: (string | number)[] = [];
  const re = /(?:^|\.)([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let i = 0;
  while (i < path.length) {
    re.lastIndex = i;
    const m = re.exec(path);
    if (m === null) return undefined;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
    i = re.lastIndex;
  }
  return out;
}

/** The inverse of {@link parsePath}: core's `formatPath`, with `(root)` for the empty path. */
export function joinPath(segments: readonly (string | number)[]): string {
  const out = formatPath(segments);
  return out === '' ? '(root)' : out;
}
