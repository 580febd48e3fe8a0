/** Time, injected so expiry can be tested without waiting. Milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told: for tests and the in-memory scheduler. Never goes backwards. */
export class ManualClock implements Clock {
  constructor(private ms = Date.UTC(2030, 0, 1)) {}

  now(): number {
    return this.ms;
  }

  /** Moves to `ms` (ignored if that is in the past). */
  set(ms: number): void {
    if (ms > this.ms) this.ms = ms;
  }

  advance(ms: number): void {
    this.set(this.ms + Math.max(0, ms));
  }
}
