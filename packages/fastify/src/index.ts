/**
 * `@switchyard/fastify`: switchyard as a Fastify 5 plugin, in proxy or decide mode.
 *
 * @packageDocumentation
 */
export type { SwitchyardDecision, SwitchyardFastifyOptions } from './plugin.js';
export { isNoRoute, switchyard } from './plugin.js';
export { attachUpgrade, type SwitchyardUpgradeOptions, type UpgradeDispatcher } from './upgrade.js';
export { switchyard as default } from './plugin.js';
