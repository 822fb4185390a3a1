/**
 * `pnpm before` / `pnpm after`: starts a local upstream on 127.0.0.1:9001 and the chosen app on
 * 127.0.0.1:8080. Try `curl -i localhost:8080/api/items?x=1` four times, and `/health`.
 */
import { createServer } from 'node:http';
import { serve } from '@hono/node-server';
import { attachUpgrade } from '@switchyard/hono/node';
import { afterApp, afterGateway } from './after.js';
import { beforeApp } from './before.js';

const which = process.argv[2] === 'after' ? 'after' : 'before';
const upstream = createServer((req, res) => res.end(`upstream saw ${req.method} ${req.url}\n`)).listen(9001, '127.0.0.1');
const target = 'http://127.0.0.1:9001';
if (which === 'before') {
  serve({ fetch: beforeApp(target).fetch, port: 8080, hostname: '127.0.0.1' });
} else {
  const gateway = afterGateway(target);
  attachUpgrade(serve({ fetch: afterApp(gateway).fetch, port: 8080, hostname: '127.0.0.1' }), gateway);
}
console.log(`${which}: http://127.0.0.1:8080/api/items (upstream ${target})`);
process.on('SIGINT', () => {
  upstream.close();
  process.exit(0);
});
