/**
 * OpenAPI schema validation with `@readme/openapi-parser` (readmeio/oas `packages/parser`: the
 * maintained fork of swagger-parser, OAS 3.0 and 3.1, "for Node and browsers"). It is async and
 * only follows internal `$ref`s here (`resolve.external: false`: no file system, no network), so it
 * runs on every runtime the rest of this package does. The parser's messages carry no JSON pointer:
 * they are reported at `#` with the parser's own words; the importer's own checks (paths, servers,
 * path parameters, `x-switchyard`) are reported by pointer.
 */
import { validate } from '@readme/openapi-parser';
import { importDocuments } from './load.js';
import { get, plain } from './internal/util.js';
import type { DocumentRef, ImportOptions, ImportProblem, ImportResult } from './types.js';

/**
 * Validates one OpenAPI 3.x document against the specification's schema and the parser's rules
 * (duplicate operationIds, undeclared path parameters, …). Never throws: a parser failure is a problem.
 *
 * @example
 * ```ts
 * const problems = await validateOpenApi(doc, { file: 'orders.yaml' });
 * ```
 */
export async function validateOpenApi(document: unknown, source: { readonly file?: string; readonly index?: number } = {}): Promise<ImportProblem[]> {
  const title = get(get(document, 'info'), 'title');
  const ref: DocumentRef = { kind: 'OpenAPI', ...(typeof title === 'string' ? { name: title } : {}), ...(source.file !== undefined ? { file: source.file } : {}), ...(source.index !== undefined ? { index: source.index } : {}) };
  try {
    // The parser dereferences in place: give it a copy.
    const result = await validate(plain(document) as never, { resolve: { external: false }, validate: { errors: { colorize: false } } });
    if (result.valid) return [];
    return result.errors.map((e) => ({ document: ref, path: '#', message: firstParagraph(e.message) }));
  } catch (err) {
    return [{ document: ref, path: '#', message: `invalid OpenAPI document: ${err instanceof Error ? err.message : String(err)}` }];
  }
}

/** The message without the parser's code frame. */
function firstParagraph(m: string): string {
  return (m.split('\n\n')[0] ?? m).trim();
}

/**
 * {@link importDocuments}, plus the OpenAPI schema validation of every OpenAPI document
 * ({@link validateOpenApi}) among the problems. Use it where you can wait (the CLI); the
 * synchronous importer checks everything the mapping relies on itself.
 */
export async function importDocumentsValidated(docs: readonly unknown[], options: ImportOptions = {}): Promise<ImportResult> {
  const result = importDocuments(docs, options);
  const extra: ImportProblem[] = [];
  for (const [i, d] of docs.entries()) {
    const isSourced = typeof d === 'object' && d !== null && Object.prototype.hasOwnProperty.call(d, 'value') && Object.keys(d).every((k) => ['value', 'file', 'index'].includes(k));
    const value = isSourced ? (d as { value: unknown }).value : d;
    if (typeof get(value, 'openapi') !== 'string') continue;
    const file = isSourced ? (d as { file?: string }).file : undefined;
    const index = isSourced ? (d as { index?: number }).index : i;
    extra.push(...(await validateOpenApi(value, { ...(file !== undefined ? { file } : {}), ...(index !== undefined ? { index } : {}) })));
  }
  return { ...result, problems: [...extra, ...result.problems] };
}
