/**
 * `@switchyard/hono`: switchyard as Hono middleware, on Web-standard Request/Response, for Node
 * (`@hono/node-server`) and edge runtimes alike.
 *
 * @packageDocumentation
 */
export type { SwitchyardDecision, SwitchyardHonoOptions, SwitchyardVariables } from './middleware.js';
export { isNoRoute, switchyard } from './middleware.js';
export type { Relay, RelayClientEnd, WebSocketLike, WebSocketOptions, WebSocketTarget, WebSocketUpgrader } from './websocket.js';
export { HandshakeTimeout, createRelay, forwardClose, isWebSocketUpgrade, openUpstream, relayWebSockets, upgradeThroughGateway } from './websocket.js';
export type { BunServerWebSocket, BunWebSocket, DenoUpgradeWebSocket } from './websocket-runtimes.js';
export { bunWebSocket, cloudflareWebSocket, denoWebSocket, detectWebSocketUpgrader } from './websocket-runtimes.js';
