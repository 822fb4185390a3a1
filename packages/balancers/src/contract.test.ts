import { describeBalancerContract } from '@switchyard/testing/vitest';
import {
  clientSideWeightedRoundRobin,
  leastRequest,
  maglev,
  peakEwma,
  random,
  ringHash,
  roundRobin,
  weightedRandom,
  weightedRoundRobin,
  withLocality,
  withPriority,
} from './index.js';

describeBalancerContract('round-robin', () => roundRobin());
describeBalancerContract('weighted-round-robin', () => weightedRoundRobin());
describeBalancerContract('weighted-round-robin + slow start', () => weightedRoundRobin({ slowStart: { slowStartWindowMs: 500 } }));
describeBalancerContract('random', () => random());
describeBalancerContract('weighted-random', () => weightedRandom());
describeBalancerContract('least-request', () => leastRequest());
describeBalancerContract('least-request distinct, 3 choices', () => leastRequest({ sampling: 'distinct', choiceCount: 3 }));
describeBalancerContract('least-request full scan', () => leastRequest({ selectionMethod: 'full-scan' }));
describeBalancerContract('least-request + slow start', () => leastRequest({ slowStart: { slowStartWindowMs: 300, aggression: 2 } }));
describeBalancerContract('peak-ewma', () => peakEwma());
describeBalancerContract('peak-ewma with replacement + penalty', () => peakEwma({ sampling: 'with-replacement', failurePenaltyMs: 500 }));
describeBalancerContract('client-side-weighted-round-robin', () => clientSideWeightedRoundRobin({ blackoutPeriodMs: 100, weightUpdatePeriodMs: 100 }));
describeBalancerContract('ring-hash', () => ringHash({ minimumRingSize: 64 }));
describeBalancerContract('ring-hash bounded', () => ringHash({ minimumRingSize: 64, hashBalanceFactor: 125 }));
describeBalancerContract('maglev', () => maglev({ tableSize: 251 }));
describeBalancerContract('maglev bounded', () => maglev({ tableSize: 251, hashBalanceFactor: 150 }));
describeBalancerContract('ring-hash envoy', () => ringHash({ minimumRingSize: 64, compatibility: 'envoy' }));
describeBalancerContract('ring-hash envoy bounded', () => ringHash({ minimumRingSize: 64, hashBalanceFactor: 125, compatibility: 'envoy' }));
describeBalancerContract('maglev envoy', () => maglev({ tableSize: 251, compatibility: 'envoy' }));
describeBalancerContract('maglev envoy bounded', () => maglev({ tableSize: 251, hashBalanceFactor: 150, compatibility: 'envoy' }));
// Panic deliberately picks endpoints health excluded; the contract runs with panic off.
describeBalancerContract('priority(least-request)', () => withPriority(leastRequest(), { healthyPanicThresholdPercent: 0 }));
describeBalancerContract('locality(peak-ewma)', () => withLocality(peakEwma()));
describeBalancerContract('locality(round-robin) local zone', () => withLocality(roundRobin(), { localZone: 'z1' }));
describeBalancerContract('priority(locality(maglev))', () => withPriority(withLocality(maglev({ tableSize: 251 })), { healthyPanicThresholdPercent: 0 }));
