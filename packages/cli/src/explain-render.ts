/**
 * `switchyard explain`'s human-readable output: an {@link Explanation} as styled lines (the
 * request, the route and why it matched, each stage, the upstream request or the gateway's own
 * answer). `--json` prints the explanation itself instead.
 */
import { inline, type Explanation } from './explain.js';
import type { Style } from './output.js';

/** The human-readable explanation. */
export function renderExplanation(e: Explanation, s: Style): string {
  const lines: string[] = [];
  const label = (l: string): string => s.bold(l.padEnd(10));
  const r = e.request;
  lines.push(`${s.bold(`${r.method} ${r.scheme}://${r.authority}${r.path}${r.query === '' ? '' : `?${r.query}`}`)}`);
  if (e.badRequest !== undefined) {
    lines.push(`${label('route')} ${s.red('refused before routing')}: ${e.badRequest}`);
  } else if (e.route === undefined) {
    lines.push(`${label('route')} ${s.red('no route matches')} (selection: ${e.selection})`);
    for (const m of e.nearMisses) {
      const where = m.match === undefined ? '' : ` matches[${m.match}]`;
      const why = m.failed === undefined ? 'every condition holds alone (a runtime fraction or the combination excluded it)' : `${m.failed.kind} ${m.failed.condition} ≠ ${m.failed.actual === undefined ? '(absent)' : JSON.stringify(m.failed.actual)}`;
      lines.push(`${' '.repeat(11)}${m.route}${where}: ${why}`);
    }
  } else {
    const rt = e.route;
    const src = `${rt.source.file}${rt.source.line !== undefined ? `:${rt.source.line}` : ''}`;
    lines.push(`${label('route')} ${s.green(rt.name)} ${s.dim(`(routes[${rt.index}], ${src}; selection: ${e.selection})`)}`);
    lines.push(`${label('matched')} ${rt.match === undefined ? 'no matches configured: every request' : `matches[${rt.match}]`}`);
    for (const c of rt.conditions) {
      const mark = c.holds === false ? s.red('✗') : c.holds === undefined ? s.yellow('?') : s.green('✓');
      lines.push(`${' '.repeat(11)}${mark} ${c.kind} ${c.condition}${c.actual !== undefined ? s.dim(`  (request: ${JSON.stringify(c.actual)})`) : c.kind === 'header' || c.kind === 'query' ? s.dim('  (request: absent)') : ''}`);
    }
    if (Object.keys(rt.params).length > 0) lines.push(`${label('params')} ${Object.entries(rt.params).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  }
  const o = e.otherSelection;
  lines.push(`${label('otherwise')} with selection ${o.selection}: ${o.route ?? 'no route'}${o.differs ? s.yellow(' (differs)') : s.dim(' (same)')}`);
  if (e.stages.length > 0) lines.push(`${label('stages')} ${e.stages.map((x) => x.stage).join(' → ')}`);
  let limit = 0;
  for (const x of e.stages) {
    if (x.stage === 'limit') {
      const l = e.limits[limit++];
      lines.push(`${label('limit')} ${x.detail}${l?.limited === true ? s.red(' → limited (429)') : ''}`);
    } else if (x.stage === 'split' && e.split !== undefined) {
      const sp = e.split;
      const chosen = sp.chosen === undefined ? '' : ` → ${s.green(sp.chosen)} (${sp.by ?? 'random'})`;
      const parts = sp.backends.length === 1 ? `${(sp.backends[0] as { name: string }).name} (the only backend)` : sp.backends.map((b) => `${b.name} ${b.percent}%`).join(', ');
      lines.push(`${label('split')} ${parts}${sp.backends.length === 1 ? '' : chosen}${sp.key !== undefined ? s.dim(`  key ${inline(sp.key)}`) : ''}`);
    } else lines.push(`${label(x.stage)} ${x.detail}`);
  }
  if (e.pipeline !== undefined && (e.pipeline.inbound.some((x) => x.kind === 'policy') || e.pipeline.outbound.length > 0)) {
    // The route's compiled pipeline (`gateway.explain(route)`): inbound in the order it runs,
    // outbound in the order it unwinds, and the finalizers that run on every response.
    const p = e.pipeline;
    const step = (x: (typeof p.inbound)[number]): string =>
      x.kind === 'stage' ? s.dim(x.name) : `${x.name}${s.dim(` (${x.type}${x.scope === 'gateway' ? ', gateway-wide' : ''}${x.when !== undefined ? `, ${inline(x.when)}` : ''})`)}`;
    lines.push(`${label('inbound')} ${p.inbound.map(step).join(' → ')}`);
    lines.push(`${label('outbound')} ${p.outbound.length === 0 ? s.dim('(none)') : p.outbound.map((x) => `${x.name}${x.as === 'response-only' ? s.dim(' (response only)') : ''}`).join(' → ')}`);
    lines.push(`${label('finalizers')} ${p.finalizers.length === 0 ? s.dim('(none)') : p.finalizers.join(', ')}`);
  }
  if (e.upstream !== undefined) {
    lines.push(`${label('upstream')} ${s.bold(`${e.upstream.method} ${e.upstream.url}`)} ${s.dim(`(endpoint ${e.upstream.endpoint})`)}`);
    for (const [k, v] of Object.entries(e.upstream.headers)) lines.push(`${' '.repeat(11)}${k}: ${v}`);
  }
  if (e.response !== undefined) {
    const loc = e.response.headers['location'];
    lines.push(`${label('response')} ${s.bold(String(e.response.status))}${loc !== undefined ? ` location: ${loc}` : ''}${e.response.body !== undefined && loc === undefined ? ` ${e.response.body}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}
