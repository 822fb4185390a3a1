// Three toy upstreams for examples/cli/gateway.yaml: catalog v1 on 127.0.0.1:8081, catalog v2 on
// :8082, orders on :8083. Each answers JSON saying who it is and what it received. Ctrl-C stops them.
import { createServer } from 'node:http';

const services = [
  { name: 'catalog', version: 'v1', port: 8081 },
  { name: 'catalog', version: 'v2', port: 8082 },
  { name: 'orders', version: 'v1', port: 8083 },
];

for (const s of services) {
  createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify({ service: s.name, version: s.version, method: req.method, url: req.url, host: req.headers.host })}\n`);
  }).listen(s.port, '127.0.0.1', () => console.log(`${s.name} ${s.version} on http://127.0.0.1:${s.port}`));
}
