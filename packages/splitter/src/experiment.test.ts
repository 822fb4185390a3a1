import type { SyRequest } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { assignVariant, assignVariantByKey, compileExperiment } from './experiment.js';

const req = (attributes: Record<string, unknown>): SyRequest => ({ method: 'GET', scheme: 'https', authority: 'a', path: '/', query: '', headers: {}, attributes });

describe('experiments', () => {
  const quiz = compileExperiment({ name: 'quiz-format', variants: [{ name: 'a' }, { name: 'b' }, { name: 'c', weight: 2 }], key: { attribute: 'userId' } });

  it('exposes the assignment as a header and in the decision', () => {
    const d = assignVariant(quiz, req({ userId: 'u-7' }));
    expect(d.kind).toBe('variant');
    if (d.kind === 'variant') {
      expect(d.header).toEqual({ name: 'x-experiment', value: `quiz-format-${d.variant}` });
      expect(d.experiment).toBe('quiz-format');
    }
  });

  it('excludes requests without a key instead of randomising them', () => {
    expect(assignVariant(quiz, req({}))).toEqual({ kind: 'excluded', experiment: 'quiz-format', reason: 'no-key' });
  });

  it('splits by weight (4σ binomial tolerance)', () => {
    const n = 20_000;
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < n; i++) {
      const d = assignVariantByKey(quiz, `user-${i}`);
      if (d.kind === 'variant') counts[d.variant]!++;
    }
    for (const [v, p] of [['a', 0.25], ['b', 0.25], ['c', 0.5]] as const) {
      expect(Math.abs(counts[v]! - n * p)).toBeLessThanOrEqual(4 * Math.sqrt(n * p * (1 - p)));
    }
  });

  it('widening coverage only enrolls new users and never changes an enrolled user\'s variant (GrowthBook PR #22)', () => {
    const at = (coveragePercent: number) => compileExperiment({ name: 'hero', variants: [{ name: 'on' }, { name: 'off' }], key: { attribute: 'userId' }, coveragePercent });
    const steps = [10, 20, 50, 100].map(at);
    let enrolled = 0;
    for (let i = 0; i < 5000; i++) {
      const key = `user-${i}`;
      let prev: string | undefined;
      for (const plan of steps) {
        const d = assignVariantByKey(plan, key);
        if (prev !== undefined) expect(d.kind === 'variant' && d.variant).toBe(prev);
        if (d.kind === 'variant') prev = d.variant;
      }
      if (assignVariantByKey(steps[0]!, key).kind === 'variant') enrolled++;
    }
    expect(Math.abs(enrolled - 500)).toBeLessThanOrEqual(4 * Math.sqrt(5000 * 0.1 * 0.9));
  });

  it('two experiments assign independently (χ², df 1, threshold 10.83 at p = 0.001)', () => {
    const e1 = compileExperiment({ name: 'e1', variants: [{ name: 'x' }, { name: 'y' }], key: { attribute: 'userId' } });
    const e2 = compileExperiment({ name: 'e2', variants: [{ name: 'x' }, { name: 'y' }], key: { attribute: 'userId' } });
    const t = [
      [0, 0],
      [0, 0],
    ];
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const a = assignVariantByKey(e1, `user-${i}`);
      const b = assignVariantByKey(e2, `user-${i}`);
      if (a.kind === 'variant' && b.kind === 'variant') t[a.index]![b.index]!++;
    }
    let chi = 0;
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) {
        const e = ((t[i]![0]! + t[i]![1]!) * (t[0]![j]! + t[1]![j]!)) / n;
        chi += (t[i]![j]! - e) ** 2 / e;
      }
    expect(chi).toBeLessThan(10.83);
  });

  it('rejects an experiment without key or with all-zero weights', () => {
    expect(() => compileExperiment({ name: 'x', variants: [{ name: 'a', weight: 0 }], key: [] })).toThrow(/variants: all weights are 0[\s\S]*key: an experiment needs a sticky key/);
  });
});
