/**
 * `@switchyard/testing/vitest`: the contract suites (`describeBalancerContract`) and the shared
 * adapter fixture and path-bypass checks. They register vitest tests, so they live apart from
 * the main entry: importing `@switchyard/testing` never needs vitest.
 *
 * @packageDocumentation
 */
export type { BalancerContractOptions } from './contracts/balancer.js';
export { describeBalancerContract } from './contracts/balancer.js';
export type { AdapterFixtureContext, AdapterFixtureOptions, AdapterHarness, FixtureRequest, FixtureResponse, FixtureStream } from './adapter-fixture/adapter-fixture.js';
export { ADAPTER_FIXTURE_CONFIG, decideModeConfig, describeAdapterFixture } from './adapter-fixture/adapter-fixture.js';
export type { RawGet } from './adapter-fixture/path-bypass.js';
export { ADMIN_HANDLER_BODY, PATH_BYPASS_TARGETS, describePathBypassChecks, pathBypassConfig } from './adapter-fixture/path-bypass.js';
