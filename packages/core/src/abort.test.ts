import { describe, expect, it } from 'vitest';
import { createAbortController, onAbort } from './abort.js';

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
