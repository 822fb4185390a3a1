import { createGateway } from '@switchyard/gateway';
const gateway = createGateway(
  {
    clientIdentity: { trustedProxies: [] },
    limits: { ip: { key: 'client-ip', policy: { maxTokens: 1e9, tokensPerFill: 1e9, fillIntervalMs: 1000 } } },
    routes: [{ name: 'r', matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backends: [{ upstream: 'u' }], ...(process.env['NOLIMIT'] ? {} : { limits: ['ip'] }) }],
    upstreams: { u: { endpoints: [{ url: 'http://127.0.0.1:1' }, { url: 'http://127.0.0.1:2' }], balancer: { policy: 'least-request' } } },
  },
  { transport: { send: async () => { throw new Error('unused'); } } },
);
const req = { method: 'GET', scheme: 'http' as const, authority: 'x', path: '/api/items/1', query: '', headers: { 'user-agent': 'bench' }, clientAddress: '127.0.0.1', attributes: {} };
const N = Number(process.argv[2] ?? 300_000);
for (let i = 0; i < 30_000; i++) await gateway.decide(req);
const c0 = process.cpuUsage();
for (let i = 0; i < N; i++) await gateway.decide(req);
const c = process.cpuUsage(c0);
console.log(`gateway.decide: ${(((c.user + c.system) / N) * 1000).toFixed(0)} ns CPU/request`);
