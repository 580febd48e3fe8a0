/**
 * At most one log line per key and period, with a count of the lines left out since the last one:
 * a flood of refused requests costs a counter increment each, not a log write.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls `log` with the number of lines suppressed for `key`, unless one was written within the period. */
  run(key: string, log: (suppressed: number) => void): void {
    const now = this.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.periodMs) {
      entry.suppressed++;
      return;
    }
    // Keys are few and fixed (reasons, not callers), so the map stays small.
    this.last.set(key, { at: now, suppressed: 0 });
    log(entry?.suppressed ?? 0);
  }
}
