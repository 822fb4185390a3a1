// The deprecated names of issue #24's one vocabulary stay exported and are the new names.
import { describe, expectTypeOf, it } from 'vitest';
import { runLoad, type LoadReport, type LoadRunReport } from '../index.js';

describe('deprecated names', () => {
  it('LoadReport is LoadRunReport, what runLoad returns', () => {
    expectTypeOf<LoadReport>().toEqualTypeOf<LoadRunReport>();
    expectTypeOf(runLoad).returns.resolves.toEqualTypeOf<LoadRunReport>();
  });
});
