/**
 * The README's plot: runs examples/scenarios/slow-endpoint (one replica of five turns ten times
 * slower from 20 s to 40 s) with each balancer's config, renders the HTML report of the four runs,
 * and screenshots its "configs compared" latency chart with headless Chromium into
 * docs/images/what-if-balancers.png.
 *
 *   pnpm --filter @switchyard/simulate plot [--html report.html]
 *
 * Chromium: Debian's /usr/bin/chromium (or CHROMIUM=/path). Deterministic input (seeded
 * scenario); the PNG depends on the browser's font rendering only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { parse } from 'yaml';
import { parseGatewayConfig } from '@switchyard/gateway/yaml';
import { renderHtmlReport, runScenario, type Scenario, type SimulationReport } from '@switchyard/simulate';

const { values } = parseArgs({ options: { html: { type: 'string' }, out: { type: 'string' } } });
const root = new URL('../../../', import.meta.url);
const dir = new URL('examples/scenarios/slow-endpoint/', root);
const out = values.out === undefined ? new URL('docs/images/what-if-balancers.png', root) : new URL(values.out, `file://${process.cwd()}/`);
const BALANCERS = ['round-robin', 'random', 'least-request', 'peak-ewma'];

const scenario = parse(readFileSync(new URL('scenario.yaml', dir), 'utf8')) as Scenario;
const reports: SimulationReport[] = [];
for (const name of BALANCERS) {
  const config = parseGatewayConfig(readFileSync(new URL(`${name}.yaml`, dir), 'utf8'));
  reports.push(await runScenario(config, scenario, { label: name }));
  const r = reports[reports.length - 1];
  console.log(`${name}: p99 ${r?.total.latency.p99Ms} ms, success ${r?.total.successRate}`);
}
const html = renderHtmlReport(reports, { title: 'What-if: one slow replica, each balancer' });
if (values.html !== undefined) writeFileSync(values.html, html);

const browser = await chromium.launch({ executablePath: process.env['CHROMIUM'] ?? '/usr/bin/chromium', headless: true });
try {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setContent(html, { waitUntil: 'load' });
  await page.waitForSelector('#sy-compare-latency .sy-chart[data-drawn="true"]');
  if (errors.length > 0) throw new Error(`the report logged errors: ${errors.join('; ')}`);
  await page.locator('#sy-compare-latency').screenshot({ path: out.pathname });
  console.log(`wrote ${out.pathname}`);
} finally {
  await browser.close();
}
