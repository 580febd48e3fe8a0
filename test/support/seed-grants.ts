import type { AccessRequest, RequestId } from '../../src/core/domain/access-request.js';
import type { AuditDraft } from '../../src/core/domain/audit-event.js';

/** What seeding needs of a running jitbot: the store's create and the scheduler's revoke job. */
export interface SeedPorts {
  store: { nextId(): Promise<RequestId>; create(request: AccessRequest, audit: AuditDraft): Promise<AccessRequest> };
  scheduler: { revokeAt(id: RequestId, atMs: number): Promise<void> };
}

export interface SeedOptions {
  count: number;
  /** The end of grant `i` (epoch ms). */
  endAt(i: number): number;
  resource: string;
  requesters: readonly string[];
  approver: string;
  /** Reason and receipt summary of the seeded grants. */
  label: string;
  /** Writes in flight at once. */
  inFlight?: number;
  /** Called with each grant once it is stored (a test's fake issuer records the credential). */
  onSeeded?(grant: AccessRequest): void;
}

/**
 * Writes `count` active grants the way the issue job leaves them: the record (through the real
 * store's atomic create, with its audit event) and the revoke job (through the real scheduler), at
 * most `inFlight` at a time. The engine tests and the benchmark seed with this one function.
 */
export async function seedActiveGrants(ports: SeedPorts, options: SeedOptions): Promise<RequestId[]> {
  const { store, scheduler } = ports;
  const ids: RequestId[] = new Array<RequestId>(options.count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= options.count) return;
      const id = await store.nextId();
      const now = Date.now();
      const end = options.endAt(i);
      const grant: AccessRequest = {
        id,
        resource: options.resource,
        requester: options.requesters[i % options.requesters.length]!,
        // Positive even when seeding outlasts the end (a busy machine): the record stays valid.
        durationMs: Math.max(1000, end - now),
        reason: options.label,
        createdAt: now,
        version: 0,
        via: 'console',
        approvalsRequired: 1,
        approvals: [{ person: options.approver, at: now, via: 'console' }],
        status: 'active',
        decidedAt: now,
        window: { start: now, end },
        receipt: { summary: options.label, details: {}, revokeState: {} },
        extensions: [],
      };
      await store.create(grant, { type: 'grant.issued', requestId: id, actor: { kind: 'system' }, data: { seeded: true, windowEnd: end } });
      options.onSeeded?.(grant);
      await scheduler.revokeAt(id, end);
      ids[i] = id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.inFlight ?? 200, options.count) }, worker));
  return ids;
}
