/**
 * The schema of an `errors` block (the gateway's, a route's, a policy instance's): the format,
 * the Problem Details type base and the overrides by code, status or `default` (error-format.ts
 * compiles them).
 */
import * as v from 'valibot';
import { ERROR_CODES } from '@switchyard/core';
import { isObject, nonEmpty, opt, strict, stringMap } from './schema-kit.js';

// -- the gateway's own error responses (error-format.ts): gateway, route and policy `errors`
const errorResponseSchema = strict({
  status: opt(v.pipe(v.number('must be a status code'), v.integer('must be a status code'), v.minValue(200, 'must be in [200, 600)'), v.maxValue(599, 'must be in [200, 600)'))),
  headers: opt(stringMap),
  // A template string or a JSON value of templates: compile-time checks in compileErrors.
  body: opt(v.custom<unknown>((x) => x !== undefined, 'must be a template string or a JSON value')),
  contentType: opt(nonEmpty),
});
const ERROR_KEY_MESSAGE = "must be an error code (SY_…), a status between 200 and 599 or 'default'";
const errorResponseKey = v.union(
  [v.picklist([...ERROR_CODES, 'default'], ERROR_KEY_MESSAGE), v.pipe(v.string(ERROR_KEY_MESSAGE), v.regex(/^(?:[2-4][0-9][0-9]|5[0-9][0-9])$/, ERROR_KEY_MESSAGE))],
  ERROR_KEY_MESSAGE,
);
/**
 * The `errors` block of the gateway, a route or a policy instance (`policies.<name>.errors`:
 * the pipeline's policy schema uses this one).
 */
export const errorsConfigSchema = strict({
  format: opt(v.picklist(['switchyard', 'problem+json'], "must be 'switchyard' or 'problem+json'")),
  typeBaseUri: opt(nonEmpty),
  // Keys: a code, a status or `default` (the record's key schema, also the JSON Schema's propertyNames).
  responses: opt(v.pipe(v.custom<Record<string, unknown>>(isObject, 'must be an object'), v.record(errorResponseKey, errorResponseSchema))),
});
