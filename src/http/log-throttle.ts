/**
 * At most one log line per key and period, with a count of what was left out: endpoints anyone can
 * call (bad signatures, refused tokens, forged webhooks) stay cheap to flood, and the log readable.
 */
export class LogThrottle {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly periodMs: number,
    private readonly now: () => number = Date.now,
    /** Keys remembered at most; a flood of distinct keys must not grow the map without bound. */
    private readonly maxKeys = 1000,
  ) {}

  /** Calls `log` with the number of lines suppressed since the last one, unless `key` logged within the period. */
  run(key: string, log: (suppressed: number) => void): void {
    const now = this.now();
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.periodMs) {
      entry.suppressed++;
      return;
    }
    log(entry?.suppressed ?? 0);
    if (!entry && this.last.size >= this.maxKeys) this.last.delete(this.last.keys().next().value!);
    this.last.set(key, { at: now, suppressed: 0 });
  }
}
