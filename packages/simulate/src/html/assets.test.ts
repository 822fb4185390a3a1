import uplotPackage from 'uplot/package.json' with { type: 'json' };
import uplotJs from 'uplot/dist/uPlot.iife.min.js?raw';
import { describe, expect, it } from 'vitest';
import { readAssetInputs, renderAssetsModule } from '../../scripts/html-assets.js';
import generatedSource from './assets.generated.ts?raw';
import { CLIENT_JS, SCRIPT_HASHES, STYLE, STYLE_HASH, UPLOT_JS, UPLOT_VERSION } from './assets.generated.js';
import clientJs from './client/report.js?raw';

async function cspHash(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return `sha256-${btoa(String.fromCharCode(...digest))}`;
}

// Fails when `uplot` was upgraded or src/html/client/* edited without
// `pnpm --filter @switchyard/simulate gen:html`.
describe('assets.generated.ts', () => {
  it('assets - the committed module is what gen:html writes from the installed uplot and src/html/client', () => {
    expect(generatedSource).toBe(renderAssetsModule(readAssetInputs()));
  });

  it('assets - inline the installed uplot version, byte for byte', () => {
    expect(UPLOT_VERSION).toBe(uplotPackage.version);
    expect(UPLOT_JS).toBe(uplotJs);
    expect(CLIENT_JS).toBe(clientJs);
  });

  it('assets - CSP hashes are the SHA-256 of the inlined texts', async () => {
    expect(SCRIPT_HASHES).toEqual([await cspHash(UPLOT_JS), await cspHash(CLIENT_JS)]);
    expect(STYLE_HASH).toBe(await cspHash(STYLE));
  });

  it('assets - no inlined text can end its element early', () => {
    for (const text of [UPLOT_JS, CLIENT_JS]) {
      expect(text).not.toMatch(/<\/script/i);
      expect(text).not.toContain('<!--');
    }
    expect(STYLE).not.toMatch(/<\/style/i);
  });
});
