import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Observer } from '../core/ports/observer.js';
import type { RequestStore } from '../core/ports/request-store.js';

/**
 * Prometheus metrics for /metrics, fed by the core's Observer hooks and the job runners. Names follow
 * Prometheus conventions: `jitbot_` for jitbot's own, `_total` on counters only, base units in the
 * name. The default process and Node.js metrics keep their standard names (`process_*`, `nodejs_*`)
 * with no prefix, because dashboards and alerts for Node services look for exactly those.
 */
export function createMetrics(store: RequestStore) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const commands = new Counter({ name: 'jitbot_commands_total', help: 'Commands handled, by command and outcome', labelNames: ['command', 'outcome'], registers: [registry] });
  const approvals = new Counter({ name: 'jitbot_approvals_total', help: 'Approvals recorded', registers: [registry] });
  const issueSeconds = new Histogram({ name: 'jitbot_issue_duration_seconds', help: 'Issuer call duration for issuing', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  const revokeSeconds = new Histogram({ name: 'jitbot_revoke_duration_seconds', help: 'Issuer call duration for revoking', buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] });
  const lateness = new Histogram({
    name: 'jitbot_revocation_lateness_seconds',
    help: 'Time from the end of a window to the successful revocation',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 900],
    registers: [registry],
  });
  const jobFailures = new Counter({ name: 'jitbot_job_failures_total', help: 'Failed job attempts by queue', labelNames: ['queue'], registers: [registry] });
  const revokeFailures = new Counter({ name: 'jitbot_revoke_attempt_failures_total', help: 'Failed revocation attempts', registers: [registry] });
  new Gauge({
    name: 'jitbot_active_grants',
    help: 'Grants holding access (active, revoking, revoke_failed)',
    registers: [registry],
    async collect() {
      this.set(await store.countHoldingAccess().catch(() => 0));
    },
  });
  new Gauge({
    name: 'jitbot_revoke_failed',
    help: 'Grants whose revocation is failing right now',
    registers: [registry],
    async collect() {
      this.set((await store.listByStatus('revoke_failed', 100_000).catch(() => [])).length);
    },
  });

  const observer: Observer = {
    commandHandled: (command, outcome) => commands.inc({ command, outcome }),
    approvalRecorded: () => approvals.inc(),
    issued: (ms) => issueSeconds.observe(ms / 1000),
    revoked: (ms, lateMs) => {
      revokeSeconds.observe(ms / 1000);
      lateness.observe(lateMs / 1000);
    },
    revokeAttemptFailed: () => revokeFailures.inc(),
  };
  return {
    registry,
    observer,
    onJobResult: (queue: string, outcome: 'completed' | 'failed' | 'retry') => {
      if (outcome !== 'completed') jobFailures.inc({ queue });
    },
  };
}
