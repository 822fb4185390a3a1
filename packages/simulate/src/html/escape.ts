/**
 * Escaping for the HTML report: report data (route names, endpoint names, reasons, header
 * values: anything a scenario or config author typed) must never become markup or script.
 * @module
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Escapes text for an HTML text node or a double- or single-quoted attribute value.
 *
 * @example
 * ```ts
 * escapeHtml('<b title="x">'); // '&lt;b title=&quot;x&quot;&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Serialises a value as JSON that is safe as the content of a
 * `<script type="application/json">` element, and still parses with `JSON.parse` to the same value.
 *
 * The HTML tokenizer ends a script element at `</script` whatever its `type`, and `<!--` followed
 * by `<script` switches it into the "script data double escaped" state in which `</script>` no longer
 * closes the element (HTML Living Standard, 13.2.5.4 "Script data state" onwards). Escaping every
 * `<` as `\u003c` removes both; `>` and `&` are escaped too so that the text is also inert if a
 * browser or a tool ever treats it as markup, and U+2028/U+2029 so that it stays valid if pasted into
 * a JavaScript string literal by an older engine. All are valid JSON string escapes, and none of
 * these characters can occur outside a JSON string, so the parsed value is unchanged.
 *
 * @example
 * ```ts
 * jsonForScript({ route: '</script><script>alert(1)</script>' });
 * // '{"route":"\\u003c/script\\u003e\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"}'
 * ```
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value);
  // JSON.stringify(undefined) is undefined: a report always has data, but keep the page valid.
  if (json === undefined) return 'null';
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
