/**
 * `@switchyard/gateway/yaml`: reading a gateway config from JSON or YAML text. A separate entry
 * so that a gateway bundle that never reads YAML (an edge worker with its config in code) does
 * not carry the `yaml` parser, a large share of an edge worker bundle built from the
 * published files.
 *
 * @packageDocumentation
 */
export { cyclePath, parseGatewayConfig } from './load-config.js';
