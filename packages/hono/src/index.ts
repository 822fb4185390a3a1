/**
 * `@switchyard/hono`: switchyard as Hono middleware, on Web-standard Request/Response, for Node
 * (`@hono/node-server`) and edge runtimes alike.
 *
 * @packageDocumentation
 */
export type { SwitchyardDecision, SwitchyardHonoOptions, SwitchyardVariables } from './middleware.js';
export { isNoRoute, switchyard } from './middleware.js';
