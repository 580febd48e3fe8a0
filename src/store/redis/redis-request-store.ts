import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import {
  AccessRequestSchema,
  type AccessRequest,
  type RequestId,
  type RequestStatus,
} from '../../core/domain/access-request.js';
import type { AuditCheckpoint } from '../../core/domain/audit-checkpoint.js';
import type { AuditDraft, AuditEvent } from '../../core/domain/audit-event.js';
import { RATE_WINDOW_MS, type LimitCheck } from '../../core/policy/request-limits.js';
import type { AdapterState, MessageRef } from '../../core/ports/adapter-state.js';
import type { AuditLog, AuditVerification } from '../../core/ports/audit-log.js';
import type { RequestRecords } from '../../core/ports/request-records.js';
import type { Readiness } from '../../core/ports/request-store.js';
import { waitingOn } from '../request-index.js';
import { auditAroundSeq, commitFailure, indexDiff, ScriptKeys, type IndexOp, type ScriptCheck } from './commit-script.js';
import { RedisKeys } from './keys.js';
import { RedisAuditLog } from './redis-audit-log.js';

const COMMIT_SCRIPT = readFileSync(new URL('./lua/commit.lua', import.meta.url), 'utf8');

/** The client with the commit script defined on it (ioredis' defineCommand). */
type CommitCapable = Redis & { jitCommit(...args: (string | number)[]): Promise<[number, string]> };

/**
 * The request store on Redis. A request is a hash {v, json}; every write goes through one Lua script
 * that checks the version, writes the record and its indexes, and appends the audit event to the
 * hash chain, atomically.
 */
export class RedisRequestStore implements RequestRecords, AuditLog, AdapterState, Readiness {
  private readonly keys: RedisKeys;

  private readonly redis: CommitCapable;

  private readonly auditLog: RedisAuditLog;

  constructor(redis: Redis, prefix: string) {
    this.keys = new RedisKeys(prefix);
    if (typeof (redis as unknown as Partial<CommitCapable>).jitCommit !== 'function') {
      redis.defineCommand('jitCommit', { lua: COMMIT_SCRIPT });
    }
    this.redis = redis as CommitCapable;
    this.auditLog = new RedisAuditLog(redis, this.keys);
  }

  async nextId(): Promise<RequestId> {
    return `JIT-${await this.redis.incr(this.keys.idCounter())}`;
  }

  async get(id: RequestId): Promise<AccessRequest | undefined> {
    const json = await this.redis.hget(this.keys.request(id), 'json');
    return json === null ? undefined : parseRecord(json);
  }

  async getMany(ids: readonly RequestId[]): Promise<AccessRequest[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.request(id), 'json');
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([error, json]) => (error || typeof json !== 'string' ? [] : [parseRecord(json)]));
  }

  async create(request: AccessRequest, audit: AuditDraft, limits: readonly LimitCheck[] = []): Promise<AccessRequest> {
    const stored = { ...request, version: 1 } as AccessRequest;
    const checks = limits.map((check): ScriptCheck => [check.kind === 'open' ? 'OPEN' : 'RATE', this.limitKey(check, stored), check.limit]);
    // Every request enters the per-minute windows, whichever limits apply now: a policy reload that
    // adds a resource's own limit then counts what was already made.
    const ops: IndexOp[] = [
      ...indexDiff(this.keys, undefined, stored),
      ['WINDOW', this.keys.recentBy(stored.requester), stored.id],
      ['WINDOW', this.keys.recentByResource(stored.resource, stored.requester), stored.id],
    ];
    await this.commit(stored, '0', ops, audit, checks, stored.createdAt);
    return stored;
  }

  private limitKey(check: LimitCheck, request: AccessRequest): string {
    if (check.kind === 'open') {
      return check.scope === 'resource' ? this.keys.openByResource(request.resource, request.requester) : this.keys.openBy(request.requester);
    }
    return check.scope === 'resource' ? this.keys.recentByResource(request.resource, request.requester) : this.keys.recentBy(request.requester);
  }

  async update(before: AccessRequest, after: AccessRequest, audit: AuditDraft): Promise<AccessRequest> {
    const stored = { ...after, version: before.version + 1 } as AccessRequest;
    await this.commit(stored, String(before.version), indexDiff(this.keys, before, stored), audit);
    return stored;
  }

  async appendAudit(audit: AuditDraft): Promise<AuditEvent> {
    return this.commit(undefined, '', [], audit);
  }

  private async commit(
    record: AccessRequest | undefined,
    expectedVersion: string,
    ops: IndexOp[],
    audit: AuditDraft,
    checks: ScriptCheck[] = [],
    now = 0,
  ): Promise<AuditEvent> {
    const { rest, before, after } = auditAroundSeq(audit);
    const recordKey = record ? this.keys.request(record.id) : '';
    const reqAuditKey = audit.requestId ? this.keys.requestAudit(audit.requestId) : '';
    try {
      const keys = new ScriptKeys();
      const checkArgs = checks.flatMap(([kind, key, limit]) => [kind, keys.position(key), limit]);
      const opArgs = ops.flatMap(([op, key, member]) => [op, keys.position(key), member]);
      const [seq, hash] = await this.redis.jitCommit(
        4 + keys.list.length,
        recordKey,
        this.keys.auditStream(),
        this.keys.auditHead(),
        reqAuditKey,
        ...keys.list,
        expectedVersion,
        record ? JSON.stringify(record) : '',
        record ? String(record.version) : '',
        before,
        after,
        now,
        RATE_WINDOW_MS,
        checks.length,
        ...checkArgs,
        ops.length,
        ...opArgs,
      );
      return { ...rest, seq: Number(seq), prev: '', hash };
    } catch (error) {
      throw commitFailure(error);
    }
  }

  async listByRequester(person: string, limit: number): Promise<AccessRequest[]> {
    const ids = await this.redis.zrevrange(this.keys.byRequester(person), 0, limit - 1);
    return this.getMany(ids);
  }

  async listWaitingOn(person: string): Promise<AccessRequest[]> {
    const ids = await this.redis.smembers(this.keys.waitingOn(person));
    return (await this.getMany(ids.sort(byIdNumber))).filter((r) => waitingOn(r).includes(person));
  }

  async listByStatus(status: RequestStatus, limit: number): Promise<AccessRequest[]> {
    const ids = await this.redis.zrevrange(this.keys.byStatus(status), 0, limit - 1);
    return this.getMany(ids);
  }

  async listHoldingAccessEndingBy(ms: number, limit: number): Promise<RequestId[]> {
    return this.redis.zrangebyscore(this.keys.holdingAccessByEnd(), '-inf', ms, 'LIMIT', 0, limit);
  }

  async countHoldingAccess(): Promise<number> {
    return this.redis.zcard(this.keys.holdingAccessByEnd());
  }

  auditOf(id: RequestId): Promise<AuditEvent[]> {
    return this.auditLog.auditOf(id);
  }

  exportAudit(sinceMs?: number): AsyncIterable<AuditEvent> {
    return this.auditLog.exportAudit(sinceMs);
  }

  auditEventsAfter(afterSeq: number, limit: number): Promise<AuditEvent[]> {
    return this.auditLog.auditEventsAfter(afterSeq, limit);
  }

  verifyAudit(): Promise<AuditVerification> {
    return this.auditLog.verifyAudit();
  }

  auditHead(): Promise<{ seq: number; hash: string }> {
    return this.auditLog.auditHead();
  }

  auditEventAt(seq: number): Promise<AuditEvent | undefined> {
    return this.auditLog.auditEventAt(seq);
  }

  trimAuditThrough(seq: number): Promise<number> {
    return this.auditLog.trimAuditThrough(seq);
  }

  appendCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    return this.auditLog.appendCheckpoint(checkpoint);
  }

  checkpoints(): Promise<AuditCheckpoint[]> {
    return this.auditLog.checkpoints();
  }

  lastCheckpoint(): Promise<AuditCheckpoint | undefined> {
    return this.auditLog.lastCheckpoint();
  }

  async saveMessageRef(id: RequestId, ref: MessageRef): Promise<void> {
    await this.redis.hset(this.keys.messageRefs(id), `${ref.platform}:${ref.channel}`, JSON.stringify(ref));
  }

  async messageRefs(id: RequestId): Promise<MessageRef[]> {
    const all = await this.redis.hvals(this.keys.messageRefs(id));
    return all.map((json) => JSON.parse(json) as MessageRef);
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    const result = await this.redis.set(this.keys.once(key), '1', 'PX', ttlMs, 'NX');
    return result === 'OK';
  }

  async releaseClaim(key: string): Promise<void> {
    await this.redis.del(this.keys.once(key));
  }

  async putValue(namespace: string, key: string, value: string): Promise<void> {
    await this.redis.hset(this.keys.values(namespace), key, value);
  }

  async getValue(namespace: string, key: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.values(namespace), key)) ?? undefined;
  }

  async ping(): Promise<void> {
    await this.redis.ping();
  }
}

function parseRecord(json: string): AccessRequest {
  return AccessRequestSchema.parse(JSON.parse(json));
}




function byIdNumber(a: string, b: string): number {
  return Number(a.slice(4)) - Number(b.slice(4));
}
