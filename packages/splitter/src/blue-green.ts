/**
 * Blue-green deployment (Fowler, "BlueGreenDeployment", 2010): two identical environments,
 * one live. Switching and rolling back are one atomic change of plain state: a single
 * object swap, so no request ever sees a half-switched configuration.
 *
 * @packageDocumentation
 */

/** Blue-green state: plain JSON-serialisable data. */
export interface BlueGreenState {
  /** The backend receiving all traffic. */
  readonly active: string;
  /** The idle backend: the target of the next switch, or the previous active after one. */
  readonly standby: string;
  /** Incremented on every switch; a store can compare-and-set on it. */
  readonly revision: number;
  /** Monotonic time of the last switch (undefined: never switched). */
  readonly switchedAt?: number;
}

/**
 * The initial state.
 *
 * @example
 * ```ts
 * import { createBlueGreenState, switchBlueGreen } from '@switchyard/splitter';
 * const s0 = createBlueGreenState('blue', 'green');
 * const s1 = switchBlueGreen(s0, 1000); // green live, blue standby: the instant rollback target
 * const s2 = switchBlueGreen(s1, 2000); // rolled back: blue live again
 * ```
 */
export function createBlueGreenState(active: string, standby: string): BlueGreenState {
  if (active === standby) throw new TypeError('blue-green: active and standby must differ');
  return Object.freeze({ active, standby, revision: 0 });
}

/**
 * Makes the standby active and the active standby (switch and rollback are the same move).
 * Returns a new frozen state; the old one is untouched, so readers of it finish on it.
 * See {@link createBlueGreenState} for an example.
 */
export function switchBlueGreen(state: BlueGreenState, now: number): BlueGreenState {
  return Object.freeze({ active: state.standby, standby: state.active, revision: state.revision + 1, switchedAt: now });
}

/**
 * Replaces the standby (the new release to switch to next); the active one is untouched.
 * Gotcha: after it, the previous active can no longer be rolled back to.
 *
 * @example
 * ```ts
 * import { createBlueGreenState, replaceStandby } from '@switchyard/splitter';
 * replaceStandby(createBlueGreenState('blue', 'green'), 'green-2'); // { active: 'blue', standby: 'green-2', revision: 1 }
 * ```
 */
export function replaceStandby(state: BlueGreenState, standby: string): BlueGreenState {
  if (standby === state.active) throw new TypeError('blue-green: standby must differ from active');
  return Object.freeze({ ...state, standby, revision: state.revision + 1 });
}

/** A blue-green switch with a clock: the thin stateful wrapper. */
export interface BlueGreen {
  /** The backend to send a request to. */
  active(): string;
  /** Switches to the standby; returns the new state. */
  switch(): BlueGreenState;
  /** Switches back to the previous active, only if the last move was a switch to `from`. */
  rollback(from?: string): BlueGreenState;
  state(): BlueGreenState;
}

/**
 * A blue-green switch over a clock (`now()` timestamps the switches).
 *
 * @example
 * ```ts
 * import { createBlueGreen } from '@switchyard/splitter';
 * import { systemClock } from '@switchyard/core';
 * const bg = createBlueGreen({ clock: systemClock, active: 'blue', standby: 'green' });
 * bg.switch();   // green live
 * bg.rollback(); // blue live again, instantly
 * ```
 */
export function createBlueGreen(options: { readonly clock: { now(): number }; readonly active: string; readonly standby: string; readonly state?: BlueGreenState }): BlueGreen {
  let state = options.state ?? createBlueGreenState(options.active, options.standby);
  return {
    active: () => state.active,
    switch() {
      state = switchBlueGreen(state, options.clock.now());
      return state;
    },
    rollback(from) {
      // Only a switch can be rolled back; `from` guards against undoing someone else's switch.
      if (state.switchedAt !== undefined && (from === undefined || state.active === from)) state = switchBlueGreen(state, options.clock.now());
      return state;
    },
    state: () => state,
  };
}
