import { createGateway, type GatewayConfig } from '@switchyard/gateway';
import { describeAdapterFixture } from '@switchyard/testing/vitest';
import express from 'express';
import express4 from 'express4';
import { switchyard } from '../src/index.js';
import { closeServer, httpHarness, listen, yieldToIo } from './harness.js';

for (const [name, create] of [
  ['express 5', () => express()],
  ['express 4', () => express4()],
] as const) {
  describeAdapterFixture(name, {
    yieldToIo,
    setup: async ({ config, transport, clock, rng }) => {
      const gateway = createGateway(config as GatewayConfig, { transport, clock, rng });
      const app = create();
      app.use(switchyard({ gateway }));
      const { server, url } = await listen(app);
      return httpHarness(url, async () => {
        await closeServer(server);
        await gateway.stop();
      });
    },
  });
}
