import type { AuditLog } from '../core/ports/audit-log.js';
import type { Logger } from '../core/ports/logger.js';
import { LogThrottle } from '../http/log-throttle.js';

/**
 * Records refused authentications (bad ID tokens, forged webhooks) in the audit trail, within a
 * budget: anyone can send garbage to a public endpoint, and the trail must not be flooded with it.
 * Over the budget, refusals are counted and the count rides on the next recorded event. Log lines
 * are throttled the same way, per kind of refusal.
 */
export class RejectionAudit {
  private windowStart = 0;
  private recorded = 0;
  private suppressed = 0;
  private readonly throttle: LogThrottle;

  constructor(
    private readonly store: Pick<AuditLog, 'appendAudit'>,
    private readonly log: Logger,
    private readonly perMinute = 120,
    private readonly now: () => number = Date.now,
  ) {
    this.throttle = new LogThrottle(10_000, now);
  }

  async record(type: string, requestId: string | null, data: Record<string, unknown>): Promise<void> {
    const now = this.now();
    if (now - this.windowStart >= 60_000) {
      this.windowStart = now;
      this.recorded = 0;
    }
    // One line per kind of refusal every 10 s, with the count of those left out.
    this.throttle.run(`${type}:${String(data.reason ?? '')}`, (suppressed) => this.log.warn({ type, requestId, ...data, ...(suppressed > 0 ? { suppressed } : {}) }, 'refused'));
    if (this.recorded >= this.perMinute) {
      this.suppressed++;
      return;
    }
    this.recorded++;
    const suppressed = this.suppressed;
    this.suppressed = 0;
    try {
      await this.store.appendAudit({
        type,
        requestId,
        actor: { kind: 'system' },
        data: { ...data, ...(suppressed > 0 ? { suppressedBefore: suppressed } : {}) },
      });
    } catch (error) {
      this.log.error({ type, error: (error as Error).message }, 'could not record a refusal in the audit trail');
    }
  }
}
