// The README example, verbatim, with its comments turned into assertions.
import { expect, it } from 'vitest';
import { runScenario } from './index.js';

it('README example - one slow replica under Peak EWMA', async () => {
  const report = await runScenario(
    {
      routes: [{ name: 'api', backends: [{ upstream: 'api' }] }],
      upstreams: {
        api: {
          balancer: { policy: 'peak-ewma' },
          endpoints: [
            { id: 'a', url: 'http://a.test' },
            { id: 'b', url: 'http://b.test' },
            { id: 'c', url: 'http://c.test' },
          ],
        },
      },
    },
    {
      name: 'one slow replica',
      seed: 1,
      durationSeconds: 10,
      fleet: {
        defaults: { latency: { kind: 'lognormal', medianMs: 10, sigma: 0.3 } },
        upstreams: { api: { endpoints: { c: { latency: 200 } } } },
      },
      traffic: { ratePerSecond: 200 },
    },
  );

  expect(report.routes[0]?.summary.latency.p99Ms).toBeLessThan(30); // about 20 ms (round robin: 200 ms)
  expect(report.endpoints.find((e) => e.endpoint === 'c')?.sharePercent).toBeLessThan(1); // well under 1 %
});
