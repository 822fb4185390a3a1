// The deprecated names of issue #24's one vocabulary stay exported and are the new names.
import { describe, expectTypeOf, it } from 'vitest';
import type { KeySource, SplitKeySource } from './index.js';

describe('deprecated names', () => {
  it('KeySource is SplitKeySource', () => {
    expectTypeOf<KeySource>().toEqualTypeOf<SplitKeySource>();
  });
});
