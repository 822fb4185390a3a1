import type { LoadBalancer } from '@switchyard/core';
import { describeBalancerContract } from './balancer.js';

/** A round-robin policy written against the contract alone: the suite must accept it. */
function tinyRoundRobin(): LoadBalancer<{ n: number; size: number }> {
  return {
    name: 'tiny',
    create: (e) => ({ n: 0, size: e.length }),
    update: (s, e) => ({ n: s.n, size: e.length }),
    pick: (s, input) => {
      if (input.eligible.length === 0) return { kind: 'empty', reason: s.size === 0 ? 'no-endpoints' : 'no-eligible-endpoints' };
      return { kind: 'picked', endpoint: input.eligible[s.n++ % input.eligible.length]! };
    },
    begin: () => {},
    observe: () => {},
  };
}

describeBalancerContract('tiny round robin', tinyRoundRobin, { runs: 5 });
