/**
 * `@switchyard/gateway/yaml`: reading a gateway config from JSON or YAML text. A separate entry
 * so that a gateway bundle that never reads YAML (an edge worker with its config in code) does
 * not carry the `yaml` parser: about 73 KB of the hono-edge worker bundle built from the
 * published files.
 *
 * @packageDocumentation
 */
export { cyclePath, parseGatewayConfig } from './load-config.js';
