// The deprecated names of issue #24's one vocabulary stay exported and are the new names.
import { describe, expectTypeOf, it } from 'vitest';
import { loadInputs, type LoadInputsOptions, type LoadInputsResult, type LoadOptions, type LoadResult } from './index.js';

describe('deprecated names', () => {
  it('LoadOptions is LoadInputsOptions and LoadResult is LoadInputsResult, what loadInputs returns', () => {
    expectTypeOf<LoadOptions>().toEqualTypeOf<LoadInputsOptions>();
    expectTypeOf<LoadResult>().toEqualTypeOf<LoadInputsResult>();
    expectTypeOf(loadInputs).returns.resolves.toEqualTypeOf<LoadInputsResult>();
  });
});
