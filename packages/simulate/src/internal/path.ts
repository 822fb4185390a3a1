/** Config paths for scenario problems, in core's `formatPath` convention. */

/** `base.key`, or `base["a-b"]` for a key that is not an identifier: core's `formatPath` convention. */
export function keyPath(base: string, key: string): string {
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}
