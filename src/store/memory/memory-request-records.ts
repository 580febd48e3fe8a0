import { AccessRequestSchema, OPEN, type AccessRequest, type RequestId, type RequestStatus } from '../../core/domain/access-request.js';
import type { AuditDraft } from '../../core/domain/audit-event.js';
import { JitError } from '../../core/domain/errors.js';
import { RATE_WINDOW_MS, type LimitCheck } from '../../core/policy/request-limits.js';
import type { RequestRecords } from '../../core/ports/request-records.js';
import { holdsAccessUntil, waitingOn } from '../request-index.js';
import type { MemoryAuditLog } from './memory-audit-log.js';

/** What the listings sort and filter on, taken when a record is written (like the Redis indexes). */
interface Indexed {
  version: number;
  json: string;
  requester: string;
  resource: string;
  status: RequestStatus;
  createdAt: number;
  waiting: readonly string[];
  holdsUntil: number | undefined;
}

/**
 * Requests in process memory, with the Redis store's behaviour: version-checked writes that append
 * their audit event in the same step, records parsed on every read (callers never share objects with
 * the store), and listings in the same order as the Redis sorted sets.
 */
export class MemoryRequestRecords implements RequestRecords {
  private readonly records = new Map<RequestId, Indexed>();
  private lastId = 0;

  constructor(private readonly audit: MemoryAuditLog) {}

  async nextId(): Promise<RequestId> {
    this.lastId += 1;
    return `JIT-${this.lastId}`;
  }

  async get(id: RequestId): Promise<AccessRequest | undefined> {
    const record = this.records.get(id);
    return record && parse(record);
  }

  async getMany(ids: readonly RequestId[]): Promise<AccessRequest[]> {
    return ids.flatMap((id) => {
      const record = this.records.get(id);
      return record ? [parse(record)] : [];
    });
  }

  async create(request: AccessRequest, audit: AuditDraft, limits: readonly LimitCheck[] = []): Promise<AccessRequest> {
    const stored = { ...request, version: 1 } as AccessRequest;
    this.checkLimits(stored, limits);
    this.commit(stored, 0, audit);
    return stored;
  }

  // The same rules as the Redis commit script: open requests of the requester (over all resources, or
  // the request's own), and requests made in the sliding minute before this one was created.
  private checkLimits(request: AccessRequest, limits: readonly LimitCheck[]): void {
    limits.forEach((check, index) => {
      const mine = [...this.records.values()].filter(
        (r) => r.requester === request.requester && (check.scope === 'requester' || r.resource === request.resource),
      );
      let count: number;
      let retryAfterMs = 0;
      if (check.kind === 'open') {
        count = mine.filter((r) => OPEN.has(r.status)).length;
      } else {
        const recent = mine.map((r) => r.createdAt).filter((at) => at > request.createdAt - RATE_WINDOW_MS).sort((a, b) => a - b);
        count = recent.length;
        if (count >= check.limit) retryAfterMs = recent[count - check.limit]! + RATE_WINDOW_MS - request.createdAt;
      }
      if (count >= check.limit) {
        throw new JitError('POLICY.LIMIT_REACHED', 'A limit on new requests is reached; nothing was created.', {
          details: { check: index, count, retryAfterMs: Math.max(0, retryAfterMs) },
        });
      }
    });
  }

  async update(before: AccessRequest, after: AccessRequest, audit: AuditDraft): Promise<AccessRequest> {
    const stored = { ...after, version: before.version + 1 } as AccessRequest;
    this.commit(stored, before.version, audit);
    return stored;
  }

  // Synchronous from the check to the last write: the memory equivalent of the Redis commit script.
  private commit(record: AccessRequest, expectedVersion: number, audit: AuditDraft): void {
    const current = this.records.get(record.id);
    const fits = expectedVersion === 0 ? current === undefined : current?.version === expectedVersion;
    if (!fits) {
      throw new JitError('REQUEST.CONFLICT', 'Someone else changed this request at the same moment; please try again.', {
        details: { current: current?.version ?? null },
      });
    }
    this.audit.append(audit);
    this.records.set(record.id, {
      version: record.version,
      json: JSON.stringify(record),
      requester: record.requester,
      resource: record.resource,
      status: record.status,
      createdAt: record.createdAt,
      waiting: [...waitingOn(record)],
      holdsUntil: holdsAccessUntil(record),
    });
  }

  async listByRequester(person: string, limit: number): Promise<AccessRequest[]> {
    return this.newest((r) => r.requester === person, limit);
  }

  async listWaitingOn(person: string): Promise<AccessRequest[]> {
    return [...this.records.entries()]
      .filter(([, r]) => r.waiting.includes(person))
      .sort(([a], [b]) => idNumber(a) - idNumber(b))
      .map(([, r]) => parse(r));
  }

  async listByStatus(status: RequestStatus, limit: number): Promise<AccessRequest[]> {
    return this.newest((r) => r.status === status, limit);
  }

  async listHoldingAccessEndingBy(ms: number, limit: number): Promise<RequestId[]> {
    return [...this.records.entries()]
      .filter(([, r]) => r.holdsUntil !== undefined && r.holdsUntil <= ms)
      .sort(([a, x], [b, y]) => x.holdsUntil! - y.holdsUntil! || byMember(a, b))
      .slice(0, limit)
      .map(([id]) => id);
  }

  async countHoldingAccess(): Promise<number> {
    let count = 0;
    for (const record of this.records.values()) if (record.holdsUntil !== undefined) count++;
    return count;
  }

  // Newest first, ties broken as a Redis sorted set does (by member, descending).
  private newest(match: (r: Indexed) => boolean, limit: number): AccessRequest[] {
    return [...this.records.entries()]
      .filter(([, r]) => match(r))
      .sort(([a, x], [b, y]) => y.createdAt - x.createdAt || byMember(b, a))
      .slice(0, limit)
      .map(([, r]) => parse(r));
  }
}

function parse(record: Indexed): AccessRequest {
  return AccessRequestSchema.parse(JSON.parse(record.json));
}

function idNumber(id: string): number {
  return Number(id.slice(4));
}

/** Redis orders equal scores by the member's bytes. */
function byMember(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
