/**
 * Request-building pieces the bridges share with the gateway: the one empty attribute set (the
 * gateway adds its own attributes to a fresh object without copying an empty one) and case
 * folding that costs nothing when the text is already folded, as request methods and hosts
 * almost always are.
 */

/** The attributes of a request the adapter gave none: one frozen object, recognised by identity. */
export const NO_ATTRIBUTES: Readonly<Record<string, unknown>> = Object.freeze({});

/** `s.toUpperCase()`, skipping the call (a runtime call and a copy) when `s` has no lower-case or non-ASCII letter. */
export function upperCased(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || c > 127) return s.toUpperCase();
  }
  return s;
}

/** `s.toLowerCase()`, skipping the call when `s` has no upper-case or non-ASCII letter. */
export function lowerCased(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return s.toLowerCase();
  }
  return s;
}
