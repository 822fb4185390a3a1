/**
 * The importer the `switchyard` executable uses for foreign documents (Gateway API, Istio,
 * OpenAPI), and the adapter from `@switchyard/import`'s `importDocuments` to the command's
 * {@link Importer} seam.
 *
 * Foreign documents are dispatched by `kind` (and the `openapi` key) to `@switchyard/import`.
 */
import type { GatewayConfig } from '@switchyard/gateway';
import { importDocuments } from '@switchyard/import';
import type { ImportIssue, Importer } from './load.js';

/** The importer wired into the executable: `@switchyard/import`'s `importDocuments`. */
export const importer: Importer | undefined = importerFrom(importDocuments);

/**
 * `importDocuments` of `@switchyard/import`, structurally: documents tagged with their file and
 * 0-based position in it, options with a backend map, messages naming `{ file, index }`.
 */
export type ImportDocumentsLike = (
  documents: readonly { readonly value: unknown; readonly file?: string; readonly index?: number }[],
  options: { readonly backends?: Readonly<Record<string, readonly string[]>> },
) => {
  readonly config: unknown;
  readonly warnings: readonly ImportIssue[];
  readonly problems: readonly ImportIssue[];
  readonly origins?: { readonly routes?: Readonly<Record<string, Omit<ImportIssue, 'message'>>> };
};

/**
 * Adapts an `importDocuments`-shaped function to the {@link Importer} seam: each foreign document
 * goes with its file and position (0 for a single-document file), `--backend` becomes the backend
 * map (absent when none is given, so the importer's own default applies), and the importer's
 * messages come back as they are: the command locates them by `{ file, index }`.
 *
 * @example
 * ```ts
 * import { importDocuments } from '@switchyard/import';
 * const code = await run(argv, io, { importer: importerFrom(importDocuments) });
 * ```
 */
export function importerFrom(importDocuments: ImportDocumentsLike): Importer {
  return (documents, { backends }) => {
    const result = importDocuments(
      documents.map((d) => ({ value: d.value, file: d.file, index: d.document ?? 0 })),
      Object.keys(backends).length > 0 ? { backends } : {},
    );
    return { config: result.config as Partial<GatewayConfig> | undefined, warnings: result.warnings, problems: result.problems, ...(result.origins !== undefined ? { origins: result.origins } : {}) };
  };
}
