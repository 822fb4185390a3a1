import { defineConfig } from 'tsup';
import { packageConfig } from '../../scripts/tsup.shared.js';

// Two entries: the edge-safe middleware, and `./node` (WebSocket upgrades on `@hono/node-server`
// through @switchyard/transport-undici) so that edge bundles never see a Node module.
export default defineConfig(packageConfig({ entry: ['src/index.ts', 'src/node.ts'] }));
