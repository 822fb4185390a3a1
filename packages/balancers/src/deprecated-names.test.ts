// The deprecated names of issue #24's one vocabulary stay exported and are the new names.
import { describe, expect, it } from 'vitest';
import { observeLoadReport, reportLoad } from './index.js';

describe('deprecated names', () => {
  it('reportLoad is observeLoadReport', () => {
    expect(reportLoad).toBe(observeLoadReport);
  });
});
