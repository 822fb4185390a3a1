/**
 * A custom policy written with `definePolicy`: sends beta consumers (API-key metadata
 * `beta: true`) or anyone sending `x-canary: always` to the route's `canary` backend.
 * It runs after `api-key` on the route, so it reads the identity that policy set.
 */
import { CONTINUE, definePolicy } from '@switchyard/core';

/** Options of {@link betaCanary}. */
export interface BetaCanaryOptions {
  /** The backend (route backend name) beta callers are sent to. */
  readonly backend: string;
  /** The opt-in header (value `always`). */
  readonly header: string;
}

/** The `beta-canary` policy type: register it in `createGateway(config, { policies: [betaCanary] })`. */
export const betaCanary = definePolicy<BetaCanaryOptions>({
  type: 'beta-canary',
  summary: 'Sends beta consumers (metadata beta: true) or an opt-in header to the canary backend.',
  create: (options) => ({
    type: 'beta-canary',
    provides: ['backend'],
    describe: () => `backend ${options.backend} for beta consumers or ${options.header}: always`,
    inbound: (req, ctx) => {
      const beta = ctx.identity?.data['beta'] === true || req.headers[options.header] === 'always';
      return beta ? { kind: 'continue', backend: options.backend, attributes: { canary: true } } : CONTINUE;
    },
  }),
});
