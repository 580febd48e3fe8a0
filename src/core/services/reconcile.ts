import { type CoreDeps } from './core-context.js';

export interface ReconcileReport {
  overdueRevokes: number;
  missingRevokeJobs: number;
  missingIssueJobs: number;
  missingTimeoutJobs: number;
}

/**
 * Repairs what a crash, a lost job or a Redis restore may have left: every grant that holds access
 * has exactly one revoke job (overdue ones run now), every approved request an issue job, every
 * pending request its timeout. Runs at worker start and on a schedule; safe to run anywhere, any time.
 */
export async function reconcile(deps: CoreDeps, options: { batch?: number } = {}): Promise<ReconcileReport> {
  const batch = options.batch ?? 1000;
  const now = deps.clock.now();
  const report: ReconcileReport = { overdueRevokes: 0, missingRevokeJobs: 0, missingIssueJobs: 0, missingTimeoutJobs: 0 };

  // All grants holding access, earliest end first; overdue ones are counted separately.
  const holding = await deps.store.listHoldingAccessEndingBy(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < holding.length; i += batch) {
    const requests = await deps.store.getMany(holding.slice(i, i + batch));
    await Promise.all(
      requests.map(async (request) => {
        if (!('window' in request)) return;
        const overdue = request.window.end <= now || request.status !== 'active';
        if (overdue) report.overdueRevokes++;
        if (!(await deps.scheduler.hasJob('revoke', request.id))) {
          report.missingRevokeJobs++;
          await deps.scheduler.revokeAt(request.id, overdue ? now : request.window.end);
        }
      }),
    );
  }

  for (const status of ['approved', 'issuing'] as const) {
    for (const request of await deps.store.listByStatus(status, 100_000)) {
      if (!(await deps.scheduler.hasJob('issue', request.id))) {
        report.missingIssueJobs++;
        await deps.scheduler.issue(request.id);
      }
    }
  }
  for (const request of await deps.store.listByStatus('pending', 100_000)) {
    if (request.status === 'pending' && !(await deps.scheduler.hasJob('timeout', request.id))) {
      report.missingTimeoutJobs++;
      await deps.scheduler.timeoutAt(request.id, request.timeoutAt);
    }
  }
  if (report.missingRevokeJobs || report.missingIssueJobs || report.missingTimeoutJobs) {
    deps.log.warn({ ...report }, 'reconciliation repaired missing jobs');
  }
  return report;
}
