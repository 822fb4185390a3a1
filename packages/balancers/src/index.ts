/**
 * `@switchyard/balancers`: the load-balancing policies of Envoy, Linkerd and gRPC as pure
 * functions over plain state, implementing core's `LoadBalancer` contract. Time (`now`) and
 * randomness (`rng`) are passed in; nothing runs in the background.
 *
 * @packageDocumentation
 */
export type { RoundRobinState } from './round-robin.js';
export { roundRobin } from './round-robin.js';
export type { WeightedRoundRobinOptions, WeightedRoundRobinState } from './weighted-round-robin.js';
export { weightedRoundRobin } from './weighted-round-robin.js';
export type { RandomState } from './random.js';
export { random, weightedRandom } from './random.js';
export type { LeastRequestOptions, LeastRequestState } from './least-request.js';
export { leastRequest } from './least-request.js';
export type { PeakEwmaOptions, PeakEwmaSlot, PeakEwmaState } from './peak-ewma.js';
export { peakEwma } from './peak-ewma.js';
export type { ClientSideWeightedRoundRobinOptions, ClientSideWeightedRoundRobinState, LoadReport, WeightedSlot } from './client-side-weighted-round-robin.js';
export { clientSideWeightedRoundRobin, observeLoadReport, reportLoad, loadWeight } from './client-side-weighted-round-robin.js';
export type { HashPolicy } from './hash-policy.js';
export { computeRequestHash, computeEnvoyRequestHash, hashPolicyValue, hashByHeader, hashByCookie, hashByQueryParameter, hashBySourceIp, hashByAttribute } from './hash-policy.js';
export type { BoundedLoadOptions, RingHashOptions, RingHashState, Ring, EnvoyRing } from './ring-hash.js';
export { ringHash, buildRing, ringLookup, buildEnvoyRing, envoyRingLookup } from './ring-hash.js';
export type { MaglevOptions, MaglevState, MaglevTable } from './maglev.js';
export { maglev, buildMaglevTable, buildEnvoyMaglevTable, isPrime } from './maglev.js';
export { xxhash64 } from './xxhash64.js';
export { envoyHashKey, envoyProbeOrder } from './internal/envoy.js';
export type { LevelHealth, PriorityLoad, PriorityOptions, PriorityState } from './priority.js';
export { withPriority, computePriorityLoad } from './priority.js';
export type { LocalityOptions, LocalityState } from './locality.js';
export { withLocality, localityKey, localityEffectiveWeight } from './locality.js';
export type { SlowStartConfig } from './slow-start.js';
export { slowStartWeight } from './slow-start.js';
export type { Sampling } from './internal/choices.js';
export type { Slot } from './internal/slots.js';
export type { HashingState } from './internal/hashing.js';
