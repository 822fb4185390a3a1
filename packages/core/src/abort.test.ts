import { describe, expect, it } from 'vitest';
import { createAbortController, createLightAbortController, onAbort } from './abort.js';

describe('onAbort', () => {
  it('fires once on abort, at once if already aborted, and not after removal', () => {
    const ac = createAbortController();
    let n = 0;
    onAbort(ac.signal, () => n++);
    const remove = onAbort(ac.signal, () => (n += 100));
    remove();
    ac.abort();
    ac.abort();
    expect(n).toBe(1);
    onAbort(ac.signal, () => n++);
    expect(n).toBe(2);
  });
});

describe('createLightAbortController', () => {
  it('fires each listener once on abort, with an AbortError reason by default', () => {
    const c = createLightAbortController();
    const calls: string[] = [];
    c.signal.addEventListener('abort', () => calls.push('a'), { once: true });
    const b = (): void => {
      calls.push('b');
    };
    c.signal.addEventListener('abort', b);
    c.signal.addEventListener('abort', () => calls.push('c'));
    c.signal.removeEventListener('abort', b);
    expect(c.signal.aborted).toBe(false);
    c.abort();
    c.abort();
    expect(calls).toEqual(['a', 'c']);
    expect(c.signal.aborted).toBe(true);
    expect((c.signal.reason as Error).name).toBe('AbortError');
  });

  it('keeps an explicit reason, and works with onAbort before and after aborting', () => {
    const c = createLightAbortController();
    let fired = 0;
    const remove = onAbort(c.signal, () => fired++);
    c.abort('why');
    expect(c.signal.reason).toBe('why');
    remove();
    onAbort(c.signal, () => fired++);
    expect(fired).toBe(2);
  });
});
