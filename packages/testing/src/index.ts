/**
 * `@switchyard/testing`: the fake clock, seeded random, mock transport, simulated upstream
 * fleet, load driver and contract suites that switchyard's own tests use, for your tests too.
 *
 * @packageDocumentation
 */
export type { TestClock, TestClockOptions } from './test-clock.js';
export { createTestClock } from './test-clock.js';
export type { SeededRng } from './seeded-rng.js';
export { seededRng } from './seeded-rng.js';
export type { MockReply, MockTransport, RecordedRequest } from './mock-transport.js';
export { createMockTransport } from './mock-transport.js';
