/**
 * Small valibot building blocks shared by the auth and limit policies' option schemas
 * (valibot 1.x schemas are Standard Schemas: the pipeline validates options through
 * `~standard.validate` and reports each issue with its path).
 */
import * as v from 'valibot';

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * An object with known keys: a missing required key is `is required`, an unknown one
 * `is not <what>` (every accepted key has an effect), anything but a plain object `must be an object`.
 */
export function strict<const E extends v.ObjectEntries>(entries: E, what: string) {
  return v.pipe(
    v.custom<Record<string, unknown>>(isObject, 'must be an object'),
    v.strictObject(entries, (issue) => (issue.expected === 'never' ? `is not ${what}` : issue.input === undefined && issue.path !== undefined ? 'is required' : 'must be an object')),
  );
}

/** A policy's options object (see {@link strict}). */
export function options<const E extends v.ObjectEntries>(type: string, entries: E) {
  return strict(entries, `an option of ${type}`);
}

/** RFC 9110 §5.1 field name (a `token`), lower-cased. */
export const headerName = v.pipe(
  v.string('must be a header name'),
  v.regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be a header name (an RFC 9110 token)'),
  v.toLowerCase(),
);

/** A non-empty string. */
export const nonEmpty = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'));

/** An integer ≥ `min`. */
export function integerAtLeast(min: number) {
  return v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be >= ${min}`));
}

/** A positive finite number. */
export const positive = v.pipe(v.number('must be a number'), v.finite('must be finite'), v.gtValue(0, 'must be > 0'));

/** A quoted-string-safe value for an auth-param (RFC 9110 §11.2): printable ASCII without `"` and `\`. */
export const realm = v.pipe(v.string('must be a string'), v.regex(/^[ !#-[\]-~]{1,128}$/, 'must be 1 to 128 printable ASCII characters without " or \\'));
