import { defineConfig } from 'tsup';
import { packageConfig } from '../../scripts/tsup.shared.js';

// Two entries: the gateway, and `./yaml` (config text → object) so that bundles without YAML
// do not carry the parser.
export default defineConfig(packageConfig({ entry: ['src/index.ts', 'src/yaml.ts'] }));
