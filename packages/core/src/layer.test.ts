import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compose, type Layer } from './layer.js';

describe('compose', () => {
  it('layers[0] sees the request first and the response last', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 12 }), async (n) => {
        const trace: string[] = [];
        const layers: Layer<string, string>[] = Array.from({ length: n }, (_, i) => (next) => async (req) => {
          trace.push(`in${i}`);
          const res = await next(`${req}>${i}`);
          trace.push(`out${i}`);
          return `${res}<${i}`;
        });
        const res = await compose(layers, async (req) => {
          trace.push('terminal');
          return `[${req}]`;
        })('r');
        const ids = Array.from({ length: n }, (_, i) => i);
        expect(trace).toEqual([...ids.map((i) => `in${i}`), 'terminal', ...ids.reverse().map((i) => `out${i}`)]);
        const down = Array.from({ length: n }, (_, i) => `>${i}`).join('');
        const up = Array.from({ length: n }, (_, i) => `<${n - 1 - i}`).join('');
        expect(res).toBe(`[r${down}]${up}`);
      }),
      { numRuns: 50 },
    );
  });

  it('matches the documented example', async () => {
    const log: Layer<string, string> = (next) => async (req) => `[${await next(req)}]`;
    const upper: Layer<string, string> = (next) => async (req) => next(req.toUpperCase());
    expect(await compose([log, upper], async (req) => req)('hi')).toBe('[HI]');
  });

  it('a layer may answer without calling next (short-circuit)', async () => {
    let reached = false;
    const deny: Layer<string, string> = () => async () => 'denied';
    const h = compose([deny], async () => {
      reached = true;
      return 'ok';
    });
    expect(await h('x')).toBe('denied');
    expect(reached).toBe(false);
  });
});
