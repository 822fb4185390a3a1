import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_STATUS, SwitchyardError, isSwitchyardError } from './errors.js';

describe('SwitchyardError', () => {
  it('carries its code, the mapped HTTP status, a name and a cause', () => {
    const cause = new Error('root');
    const e = new SwitchyardError('SY_NO_ROUTE', 'no route for GET /x', { cause });
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ code: 'SY_NO_ROUTE', status: 404, name: 'SwitchyardError', message: 'no route for GET /x', cause });
  });

  it.each(ERROR_CODES.map((c) => [c]))('%s has an HTTP status', (code) => {
    const status = ERROR_STATUS[code];
    expect(Number.isInteger(status) && status >= 400 && status <= 599).toBe(true);
    expect(new SwitchyardError(code, 'm').status).toBe(status);
  });

  it('lists each code once, with a status for exactly those codes, frozen', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length);
    expect(Object.keys(ERROR_STATUS).sort()).toEqual([...ERROR_CODES].sort());
    expect(Object.isFrozen(ERROR_STATUS)).toBe(true);
    for (const c of ERROR_CODES) expect(c).toMatch(/^SY_[A-Z_]+$/);
  });

  it('isSwitchyardError recognises an error from another copy of the package by its Symbol.for brand', () => {
    // A second copy has its own class, but Symbol.for gives it the same brand key.
    class OtherCopyError extends Error {
      readonly code = 'SY_NO_ENDPOINT';
      constructor(message: string) {
        super(message);
        (this as unknown as Record<symbol, unknown>)[Symbol.for('switchyard.error')] = true;
      }
    }
    const foreign = new OtherCopyError('from copy two');
    expect(foreign instanceof SwitchyardError).toBe(false);
    expect(isSwitchyardError(foreign)).toBe(true);
    expect(isSwitchyardError({ [Symbol.for('switchyard.error')]: true, code: 'SY_CANCELED' })).toBe(true);
  });

  it('isSwitchyardError rejects everything without the brand', () => {
    for (const v of [new Error('x'), { code: 'SY_NO_ROUTE' }, { [Symbol('switchyard.error')]: true }, { [Symbol.for('switchyard.error')]: 'true' }, null, undefined, 'SY_NO_ROUTE', 42]) {
      expect(isSwitchyardError(v)).toBe(false);
    }
    expect(isSwitchyardError(new SwitchyardError('SY_CANCELED', 'c'))).toBe(true);
  });
});
