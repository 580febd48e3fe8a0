import type { AccessRequest, RequestStatus } from '../core/domain/access-request.js';
import type { AuditDraft } from '../core/domain/audit-event.js';
import type { Logger } from '../core/ports/logger.js';
import type { RequestStore } from '../core/ports/request-store.js';

/**
 * One log line per state a request enters. Revocations are "access revoked" whatever ended the
 * window, with `to` saying which (expired, released, revoked), so that an operator grepping the log
 * for one word finds every end of access.
 */
const ENTERED: Record<RequestStatus, { level: 'info' | 'warn'; message: string }> = {
  pending: { level: 'info', message: 'request pending' },
  approved: { level: 'info', message: 'request approved' },
  issuing: { level: 'info', message: 'issuing access' },
  active: { level: 'info', message: 'access issued' },
  revoking: { level: 'info', message: 'revoking access' },
  revoke_failed: { level: 'warn', message: 'revocation failing; retrying' },
  expired: { level: 'info', message: 'access revoked (the window ended)' },
  released: { level: 'info', message: 'access revoked (released by the requester)' },
  revoked: { level: 'info', message: 'access revoked (by an admin)' },
  denied: { level: 'info', message: 'request denied' },
  cancelled: { level: 'info', message: 'request cancelled' },
  timed_out: { level: 'info', message: 'request timed out' },
  failed: { level: 'warn', message: 'request failed: access could not be issued' },
};

/**
 * The store, logging every committed state change of a request (at info; failures at warn) in the
 * process that made it. The store is where every transition is committed, so no use case can forget
 * to log one; creation is logged by the use case itself ("request created"). Only ids, names and
 * states are logged, never a reason, a credential or anything taken from the issuer.
 */
export function withLifecycleLog(store: RequestStore, log: Logger): RequestStore {
  const update: RequestStore['update'] = async (before, after, audit) => {
    const stored = await store.update(before, after, audit);
    if (before.status !== stored.status) logEntered(log, before.status, stored, audit);
    else log.debug({ requestId: stored.id, status: stored.status, event: audit.type }, 'request updated');
    return stored;
  };
  // A Proxy, not a spread: the store is a class instance whose methods live on its prototype.
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'update') return update;
      const value: unknown = Reflect.get(target, property, receiver);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function logEntered(log: Logger, from: RequestStatus, request: AccessRequest, audit: AuditDraft): void {
  const entered = ENTERED[request.status];
  const fields = { requestId: request.id, resource: request.resource, requester: request.requester, from, to: request.status, event: audit.type, by: audit.actor };
  log[entered.level](fields, entered.message);
}
