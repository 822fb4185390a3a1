/**
 * Whether live state survives a reload: a section's runtime (balancer, health, breaker, rollout,
 * retry budget) is kept when the fingerprint of its config is unchanged.
 */

/** A stable text of `value` (functions by their source), to compare two configs of one section. */
export function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'function' ? `fn:${String(v)}` : v));
}
