/**
 * `@switchyard/express`: switchyard as Express 4/5 middleware, in proxy or decide mode.
 *
 * @packageDocumentation
 */
import type { SwitchyardDecision } from './middleware.js';

export type { ExpressRequestLike, ExpressResponseLike, NextFunction, SwitchyardDecision, SwitchyardExpressError, SwitchyardExpressOptions } from './middleware.js';
export { isNoRoute, switchyard } from './middleware.js';
export { attachUpgrade, type SwitchyardUpgradeOptions, type UpgradeDispatcher } from './upgrade.js';

declare global {
  // Express's own augmentation point (what @types/express-serve-static-core reads): types `req.switchyard`.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The gateway's decision, set by `switchyard({ mode: 'decide' })`. */
      switchyard?: SwitchyardDecision | undefined;
    }
  }
}
