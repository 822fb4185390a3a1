/**
 * `@switchyard/testing`: the fake clock, seeded random, mock transport, simulated upstream
 * fleet and load driver that switchyard's own tests use, for your tests too (any test runner).
 * The contract suites and the adapter fixture, which call vitest's `describe`/`it`, are in
 * `@switchyard/testing/vitest`.
 *
 * @packageDocumentation
 */
export type { TestClock, TestClockOptions } from './test-clock.js';
export { createTestClock } from './test-clock.js';
export type { SeededRng } from './seeded-rng.js';
export { seededRng } from './seeded-rng.js';
export type { MockReply, MockTransport, RecordedRequest } from './mock-transport.js';
export { createMockTransport } from './mock-transport.js';
export type { TestJwks, TestJwksAlgorithm, TestJwksOptions, TestJwksTransport, TestSignOptions } from './test-jwks.js';
export { createTestJwks } from './test-jwks.js';
export type { LatencySpec } from './sim/latency.js';
export { sampleLatency, standardNormal } from './sim/latency.js';
export type { Fleet, FleetEvent, FleetOptions, OutageMode, SimEndpointCondition, SimEndpointSpec, SimEndpointStats } from './sim/fleet.js';
export { createFleet } from './sim/fleet.js';
export type { LatencySummary, LoadContext, LoadHandler, LoadOptions, LoadRunReport, LoadReport, LoadResult, LoadStats } from './sim/load.js';
export { percentile, runLoad, summarizeLatencies } from './sim/load.js';
export type { BalancerHandler, BalancerHandlerOptions } from './sim/balancer-handler.js';
export { createBalancerHandler } from './sim/balancer-handler.js';
export type { BallsIntoBinsOptions, BallsIntoBinsResult } from './sim/balls-into-bins.js';
export { ballsIntoBins } from './sim/balls-into-bins.js';
export type { ExplainsRoutes, HarnessPolicy, HarnessResult, PipelineHarness, PipelineHarnessOptions } from './pipeline-harness.js';
export { assertRouteOrder, createPipelineHarness } from './pipeline-harness.js';
