/**
 * The seam for `switchyard simulate --html <file>`: a function that renders a report (or a
 * comparison) as one self-contained HTML page. `undefined` until the HTML report exists; the
 * verb then says that `--html` is not available.
 */
import type { ComparisonReport, SimulationReport } from '@switchyard/simulate';

/** Renders a simulation report or a comparison as a self-contained HTML page, when available. */
export const renderHtmlReport: ((report: SimulationReport | ComparisonReport) => string) | undefined = undefined;
