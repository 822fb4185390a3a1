/**
 * `${NAME}` substitution in parsed config values: the one rule shared by `parseYamlDocuments`
 * (`env` option) and the `switchyard` command (`--env`). Documented in
 * `docs/guides/config-from-git.md` ("Environment variables").
 *
 * - `${NAME}` is replaced by the variable's value; `${NAME:-default}` by the default when the
 *   variable is unset or empty (POSIX Shell Command Language §2.6.2, "Use Default Values").
 * - Only upper-case names (`[A-Z_][A-Z0-9_]*`, the POSIX environment-variable names of §8.1 that
 *   tools use): lower-case placeholders (`${params.id}`, `${upstream}`, `${identity.sub}`) are
 *   switchyard's own templates (rewrites, set-headers) and are never touched.
 * - `$${` is a literal `${`.
 * - A variable that is unset or empty, without a default, is reported by field path and the text
 *   is left as written.
 * - Substitution happens on parsed values, inside strings only (never on keys, never on the file
 *   text), so a value cannot inject YAML or JSON structure.
 */

/** `$${`, or `${NAME}` / `${NAME:-default}` with an upper-case name. */
const VARIABLE = /\$\$\{|\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g;

/** A field path as segments: object keys and array indices. */
export type EnvPath = readonly (string | number)[];

/** The variables `substituteEnv` reads; never the process environment implicitly. */
export type EnvMap = Readonly<Record<string, string | undefined>>;

/**
 * A copy of `value` with `${NAME}` replaced in every string (see the module rules); `report`
 * receives each variable that is unset, by path segments.
 *
 * @example
 * ```ts
 * substituteEnvAt({ url: 'http://${HOST:-localhost}:${PORT}/${params.id}' }, { PORT: '8080' }, () => {});
 * // { url: 'http://localhost:8080/${params.id}' }
 * ```
 */
export function substituteEnvAt(value: unknown, env: EnvMap, report: (path: EnvPath, message: string) => void, path: EnvPath = []): unknown {
  if (typeof value === 'string') {
    if (!value.includes('${')) return value;
    return value.replace(VARIABLE, (whole: string, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${'; // `$${` escapes
      const v = Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      report(path, `environment variable ${name} is not set (write \${${name}:-default} for a default)`);
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((v: unknown, i) => substituteEnvAt(v, env, report, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: substituteEnvAt(v, env, report, [...path, k]), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/**
 * The first `${NAME}` / `${NAME:-default}` reference in `text` (as written), ignoring `$${`
 * escapes; undefined when there is none. For saying "this value asks for substitution" when
 * substitution is off.
 */
export function envReferenceIn(text: string): string | undefined {
  return /\$\{[A-Z_][A-Z0-9_]*(?::-[^}]*)?\}/.exec(text.replaceAll('$${', ''))?.[0];
}

/** `spec.hosts[0]` from segments; `(document)` for the root. */
export function formatEnvPath(path: EnvPath): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s === '' ? '(document)' : s;
}

/**
 * {@link substituteEnvAt} with the path as text (`spec.hosts[0]`), as import messages give it.
 *
 * @example
 * ```ts
 * import { substituteEnv } from '@switchyard/import';
 * const doc = substituteEnv(parsed, { ORDERS_HOST: 'orders.internal' }, (path, message) => console.warn(path, message));
 * ```
 */
export function substituteEnv(value: unknown, env: EnvMap, report: (path: string, message: string) => void = () => undefined): unknown {
  return substituteEnvAt(value, env, (p, m) => report(formatEnvPath(p), m));
}
