/**
 * `@switchyard/cli`: the `switchyard` command (validate, explain, import, serve and simulate
 * gateway configs), and the pieces it is made of for programs that want them: {@link loadInputs} (files →
 * one config, problems by file and path), {@link checkConfig}, {@link explain} and {@link run}.
 *
 * @packageDocumentation
 */
export type { CommandIo, OutStream, Style } from './output.js';
export { styleFor } from './output.js';
export type { Problem } from './problems.js';
export { formatProblem } from './problems.js';
export type { ForeignDocument, ImportIssue, ImportOutcome, Importer, ImporterContext, LoadInputsOptions, LoadInputsResult, LoadOptions, LoadResult, Location } from './load.js';
export { expandInputs, loadInputs } from './load.js';
export type { Checked } from './check.js';
export { checkConfig } from './check.js';
export type { ConditionReport, ExplainInput, Explanation, NearMiss, StageReport } from './explain.js';
export { explain, requestOf } from './explain.js';
export type { RunOptions } from './cli.js';
export { EXIT_OK, EXIT_PROBLEM, EXIT_USAGE, run } from './cli.js';
export { renderExplanation } from './explain-render.js';
export type { ImportDocumentsLike } from './importers.js';
export { importerFrom } from './importers.js';
export type { ServeOptions } from './serve.js';
export { serve } from './serve.js';
export type { LoadedScenario } from './simulate.js';
export { loadScenario, renderComparison, renderReport } from './simulate.js';
