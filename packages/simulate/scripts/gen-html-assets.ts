// Writes src/html/assets.generated.ts (see html-assets.ts): `pnpm --filter @switchyard/simulate gen:html`.
import { writeFileSync } from 'node:fs';
import { generatedPath, readAssetInputs, renderAssetsModule } from './html-assets.js';

const inputs = readAssetInputs();
const text = renderAssetsModule(inputs);
writeFileSync(generatedPath, text);
console.log(`wrote packages/simulate/src/html/assets.generated.ts (uplot@${inputs.uplotVersion}, ${text.length} characters)`);
