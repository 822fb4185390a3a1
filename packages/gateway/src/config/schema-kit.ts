/**
 * The building blocks of the gateway's structural schema (valibot). Every object is strict: a key
 * the schema does not name is an error at its own path, with a "did you mean" when a known key is
 * close (`timeoutMS` → `timeoutMs`); shape-chosen nodes (`tagged`, `either`, `keyed`) report the
 * errors of the option the input was meant for; maps refuse the names JavaScript objects reserve.
 * Messages read as "must be …" throughout.
 */
import * as v from 'valibot';
import { unknownKeyMessage } from '../internal/did-you-mean.js';

/** Names a config map (upstreams, limits, headers, …) may not use: JavaScript objects reserve them. */
export const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'] as const;

/** A plain object (not null, not an array). */
export const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
/** valibot's object schemas take arrays for objects; JSON Schema's `type: object` does not. */
export const objectGuard = v.custom<Record<string, unknown>>(isObject, 'must be an object');

/** The messages of a strict object: an unknown key (with "did you mean"), a missing one, a non-object. */
export function objectMessage(known: readonly string[]): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => {
    if (issue.expected === 'never') return unknownKeyMessage(String(issue.input), known);
    if (issue.expected?.startsWith('"') === true) return 'is required';
    return 'must be an object';
  };
}

/** A strict object without the array guard: for `v.variant` options, which must expose `entries`. */
export function strictEntries<const E extends v.ObjectEntries>(entries: E) {
  const known = Object.keys(entries);
  const base = v.strictObject(entries, objectMessage(known));
  // valibot reports the first unknown key of an object only; every typo is reported at once here.
  return Object.assign(Object.create(null) as object, base, {
    '~run'(dataset: v.UnknownDataset, config: v.Config<v.BaseIssue<unknown>>) {
      const input = dataset.value;
      const out = base['~run'](dataset, config) as unknown as { typed: boolean; value: unknown; issues?: v.BaseIssue<unknown>[] };
      if (typeof input !== 'object' || input === null || config.abortEarly === true) return out;
      let seen = 0;
      for (const key in input) {
        if (Object.prototype.hasOwnProperty.call(entries, key)) continue;
        if (seen++ === 0) continue; // the one valibot reported
        const value = (input as Record<string, unknown>)[key];
        const issue: v.BaseIssue<unknown> = {
          kind: 'schema',
          type: 'strict_object',
          input: key,
          expected: 'never',
          received: JSON.stringify(key),
          message: unknownKeyMessage(key, known),
          path: [{ type: 'object', origin: 'key', input: input as Record<string, unknown>, key, value }],
        };
        (out.issues ??= []).push(issue);
        out.typed = false;
      }
      return out as unknown as ReturnType<(typeof base)['~run']>;
    },
  }) as typeof base;
}

/** A strict object: unknown keys are errors with a suggestion, arrays are not objects. */
export function strict<const E extends v.ObjectEntries>(entries: E) {
  return v.pipe(objectGuard, strictEntries(entries));
}

/** Tagged by `key` (`{ type: 'Template', … }`): the tag chooses the option, so its errors are precise. */
export function tagged<const K extends string, const O extends readonly v.StrictObjectSchema<v.ObjectEntries, v.ErrorMessage<v.StrictObjectIssue> | undefined>[]>(key: K, options: O, message: string) {
  return v.pipe(objectGuard, v.variant(key, options as never, message) as v.VariantSchema<K, O & v.VariantOptions<K>, string>);
}

/** A node whose JSON Schema is `anyOf` these options (see scripts/write-schema.ts). */
export interface AnyOfSchema {
  readonly switchyardAnyOf: readonly v.GenericSchema[];
}

/**
 * One of `options`, chosen by looking at the input (`choose`), so that the errors are those of
 * the option the input was meant for, not a union's "matches none". `choose` returns undefined
 * for an input no option can take, which is refused with `message`. The options must be
 * disjoint for the JSON Schema's `anyOf` to say the same.
 */
export function either(options: readonly v.GenericSchema[], choose: (input: unknown) => v.GenericSchema | undefined, message: string): v.GenericSchema & AnyOfSchema {
  const none = v.custom(() => false, message);
  return Object.assign(
    v.lazy((input: unknown) => choose(input) ?? none),
    { switchyardAnyOf: options },
  ) as v.GenericSchema & AnyOfSchema;
}

/**
 * One of several shapes told apart by which key they have (`{ header }`, `{ cookie }`, …), with
 * `shared` keys allowed in each. The present key chooses the option, so a mistake inside it is
 * reported at its own path; with none or several of them, every key is checked against all the
 * options' keys and the object is told which keys it may choose from.
 */
export function keyed<const O extends Readonly<Record<string, v.ObjectEntries>>, const S extends v.ObjectEntries = Record<never, never>>(options: O, shared?: S) {
  const ids = Object.keys(options);
  const byId = new Map<string, v.GenericSchema>();
  const merged: Record<string, v.GenericSchema> = {};
  for (const id of ids) {
    const entries = { ...options[id], ...shared } as v.ObjectEntries;
    byId.set(id, strict(entries));
    for (const [k, s] of Object.entries(entries)) merged[k] = s.type === 'optional' ? s : v.optional(s);
  }
  const fallback = v.pipe(
    objectGuard,
    v.strictObject(merged, objectMessage(Object.keys(merged))),
    v.rawCheck(({ addIssue }) => addIssue({ message: `give exactly one of ${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1] as string}` })),
  );
  return either(
    [...byId.values()],
    (input) => {
      if (!isObject(input)) return fallback;
      let chosen: v.GenericSchema | undefined;
      for (const id of ids) {
        if (!Object.prototype.hasOwnProperty.call(input, id)) continue;
        if (chosen !== undefined) return fallback;
        chosen = byId.get(id);
      }
      return chosen ?? fallback;
    },
    'must be an object',
  );
}

/** A map of names to `value`, refusing the names JavaScript objects reserve. */
export function dict<S extends v.GenericSchema>(value: S, message = 'must be an object') {
  return v.pipe(
    v.custom<Record<string, unknown>>(isObject, message),
    v.rawCheck<Record<string, unknown>>(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      for (const key of RESERVED_KEYS) {
        if (Object.prototype.hasOwnProperty.call(dataset.value, key)) {
          addIssue({ message: `${JSON.stringify(key)} is a reserved name`, path: [{ type: 'object', origin: 'key', input: dataset.value, key, value: dataset.value[key] }] });
        }
      }
    }),
    v.record(v.string(), value),
  );
}

/** One of `values`, the message listing them. */
export function pick<const T extends readonly (string | number)[]>(values: T) {
  return v.picklist(values, `must be one of ${values.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(', ')}`);
}

/** An optional key. */
export const opt = v.optional;
/** Any string. */
export const str = v.string('must be a string');
/** A non-empty string. */
export const nonEmpty = v.pipe(v.string('must be a string'), v.minLength(1, 'must be a non-empty string'));
/** `true` or `false`. */
export const bool = v.boolean('must be true or false');
/** A finite number. */
export const finite = v.pipe(v.number('must be a number'), v.finite('must be finite'));
/** A finite number >= 0. */
export const nonNegative = v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(0, 'must be >= 0'));
/** A duration: a finite number of milliseconds >= 0. */
export const ms = (what = 'milliseconds') => v.pipe(v.number(`must be a number of ${what}`), v.finite('must be finite'), v.minValue(0, 'must be >= 0'));
/** An integer in [min, max]. */
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(min, `must be >= ${min}`), v.maxValue(max, `must be <= ${max}`));
/** A percentage in [0, 100]. */
export const percent = v.pipe(v.number('must be a number'), v.finite('must be finite'), v.minValue(0, 'must be >= 0'), v.maxValue(100, 'must be <= 100'));
/** A map of names to strings (reserved names refused). */
export const stringMap = dict(str);
/** An array of `item`. */
export const list = <S extends v.GenericSchema>(item: S, what = 'an array') => v.array(item, `must be ${what}`);
/** A string, a finite number or a boolean. */
export const scalar = v.union([v.string(), finite, v.boolean()], 'must be a string, number or boolean');
/** An HTTP status code in [100, 599]. */
export const statusCode = v.pipe(v.number('must be a status code'), v.integer('must be a status code'), v.minValue(100, 'must be a status code'), v.maxValue(599, 'must be a status code'));
/** An integer in [1, 1 000 000]. */
export const positiveInt = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be >= 1'), v.maxValue(1_000_000, 'must be <= 1000000'));
/** A share in (0, 1]. */
export const share = v.pipe(v.number('must be a number'), v.gtValue(0, 'must be > 0'), v.maxValue(1, 'must be <= 1'));
/** A priority class: 'critical', 'default' or 'sheddable'. */
export const priority = v.picklist(['critical', 'default', 'sheddable'], "must be 'critical', 'default' or 'sheddable'");
