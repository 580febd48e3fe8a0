import type { RequestId } from '../domain/access-request.js';
import { type CoreDeps } from './core-context.js';

export interface ReconcileReport {
  scope: 'full' | 'due';
  checkedGrants: number;
  overdueRevokes: number;
  missingRevokeJobs: number;
  missingIssueJobs: number;
  missingTimeoutJobs: number;
}

export interface ReconcileOptions {
  /**
   * `full` checks every grant that holds access (at worker start, and now and then); `due` only
   * those ending before `horizonMs` from now, which is all a frequent pass needs to keep every
   * revocation on time while staying cheap with 100,000 active grants.
   */
  scope?: 'full' | 'due';
  horizonMs?: number;
  batch?: number;
}

/**
 * Repairs what a crash, a lost job or a Redis restore may have left: every grant that holds access
 * has exactly one revoke job (a missing one is recreated, due now when the grant is overdue), every
 * approved request an issue job, every pending request its timeout. Job existence is checked in
 * pipelined batches; records are read only for what is missing. Safe to run anywhere, any time.
 */
export async function reconcile(deps: CoreDeps, options: ReconcileOptions = {}): Promise<ReconcileReport> {
  const scope = options.scope ?? 'full';
  const batch = options.batch ?? 1000;
  const now = deps.clock.now();
  const report: ReconcileReport = { scope, checkedGrants: 0, overdueRevokes: 0, missingRevokeJobs: 0, missingIssueJobs: 0, missingTimeoutJobs: 0 };

  const until = scope === 'full' ? Number.MAX_SAFE_INTEGER : now + (options.horizonMs ?? 60_000);
  const holding = await deps.requests.listHoldingAccessEndingBy(until, Number.MAX_SAFE_INTEGER);
  const overdue = new Set(await deps.requests.listHoldingAccessEndingBy(now, Number.MAX_SAFE_INTEGER));
  report.checkedGrants = holding.length;
  for (let i = 0; i < holding.length; i += batch) {
    const ids = holding.slice(i, i + batch);
    const missing = await missingJobs(deps, 'revoke', ids);
    for (const request of await deps.requests.getMany(missing)) {
      if (!('window' in request)) continue;
      const due = overdue.has(request.id) || request.status !== 'active';
      report.missingRevokeJobs++;
      await deps.scheduler.revokeAt(request.id, due ? now : request.window.end);
    }
  }
  report.overdueRevokes = overdue.size;

  for (const status of ['approved', 'issuing'] as const) {
    const requests = await deps.requests.listByStatus(status, 100_000);
    for (const id of await missingJobs(deps, 'issue', requests.map((r) => r.id))) {
      report.missingIssueJobs++;
      await deps.scheduler.issue(id);
    }
  }
  const pending = await deps.requests.listByStatus('pending', 100_000);
  const missingTimeouts = new Set(await missingJobs(deps, 'timeout', pending.map((r) => r.id)));
  for (const request of pending) {
    if (request.status !== 'pending' || !missingTimeouts.has(request.id)) continue;
    report.missingTimeoutJobs++;
    await deps.scheduler.timeoutAt(request.id, request.timeoutAt);
  }
  if (report.missingRevokeJobs || report.missingIssueJobs || report.missingTimeoutJobs) {
    deps.log.warn({ ...report }, 'reconciliation repaired missing jobs');
  }
  return report;
}

async function missingJobs(deps: CoreDeps, kind: 'issue' | 'revoke' | 'timeout', ids: RequestId[]): Promise<RequestId[]> {
  const present = await deps.scheduler.hasJobs(kind, ids);
  return ids.filter((_, i) => !present[i]);
}
