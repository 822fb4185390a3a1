import { defineConfig } from 'tsup';
import { packageConfig } from '../../scripts/tsup.shared.js';

export default defineConfig(packageConfig());
