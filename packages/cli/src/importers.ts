/**
 * The importer the `switchyard` executable uses for foreign documents (Gateway API, Istio,
 * OpenAPI). None yet: `@switchyard/import` plugs in here, as
 *
 *     import { importDocuments } from '@switchyard/import';
 *     export const importer: Importer | undefined = (docs) => importDocuments(docs, {});
 *
 * adapting its result to {@link ImportOutcome} (problems and warnings carry the index of the
 * document in `docs`, and the field path inside it). Until then foreign documents are reported
 * as problems naming their file and kind.
 */
import type { Importer } from './load.js';

/** The importer wired into the executable (`undefined`: native switchyard config only). */
export const importer: Importer | undefined = undefined;
