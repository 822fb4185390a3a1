/** Import messages as one line each: document, file, field path and text. */

import { describeDocument } from './internal/util.js';
import type { ImportMessage } from './types.js';

/**
 * One line per message: `HTTPRoute default/foo (routes.yaml): spec.rules[0].filters[1].urlRewrite.path: …`.
 *
 * @example
 * ```ts
 * for (const p of result.problems) console.error(formatMessage(p));
 * ```
 */
export function formatMessage(m: ImportMessage): string {
  return `${describeDocument(m.document)}: ${m.path}: ${m.message}`;
}
