/**
 * The importer the `switchyard` executable uses for foreign documents (Gateway API, Istio,
 * OpenAPI). None in this build: foreign documents are reported as problems naming their file and
 * kind. `@switchyard/import` plugs in here; its `importDocuments(docs, options)` fits the
 * {@link Importer} seam as it is (its messages name documents by `{ file, index }`, which the
 * command locates):
 *
 *     import { importDocuments } from '@switchyard/import';
 *     export const importer: Importer = (docs, { backends }) =>
 *       importDocuments(
 *         docs.map((d) => ({ value: d.value, file: d.file, index: d.document ?? 0 })),
 *         { backends },
 *       );
 */
import type { Importer } from './load.js';

/** The importer wired into the executable (`undefined`: native switchyard config only). */
export const importer: Importer | undefined = undefined;
