import { createTestClock } from '@switchyard/testing';
import { describe, expect, it } from 'vitest';
import { createBlueGreen, createBlueGreenState, replaceStandby, switchBlueGreen } from './blue-green.js';

describe('blue-green', () => {
  it('switch and rollback are one atomic state change each', () => {
    const s0 = createBlueGreenState('blue', 'green');
    const s1 = switchBlueGreen(s0, 100);
    expect(s1).toEqual({ active: 'green', standby: 'blue', revision: 1, switchedAt: 100 });
    expect(s0.active).toBe('blue'); // the old state is untouched: readers of it finish on blue
    expect(switchBlueGreen(s1, 200)).toMatchObject({ active: 'blue', standby: 'green', revision: 2 });
    expect(Object.isFrozen(s1)).toBe(true);
    expect(JSON.parse(JSON.stringify(s1))).toEqual(s1);
  });

  it('the wrapper rolls back instantly, only a switch it made, and only once', () => {
    const clock = createTestClock();
    const bg = createBlueGreen({ clock, active: 'blue', standby: 'green' });
    expect(bg.rollback().active).toBe('blue'); // nothing to roll back yet
    clock.advance(1000);
    bg.switch();
    expect(bg.active()).toBe('green');
    expect(bg.rollback('green')).toMatchObject({ active: 'blue', switchedAt: 1000 });
    expect(bg.rollback('green').active).toBe('blue'); // the guard: green is no longer live
  });

  it('replaceStandby stages the next release without touching live traffic', () => {
    const s = replaceStandby(createBlueGreenState('blue', 'green'), 'green-2');
    expect(s).toMatchObject({ active: 'blue', standby: 'green-2', revision: 1 });
    expect(() => replaceStandby(s, 'blue')).toThrow(/standby must differ/);
  });
});
