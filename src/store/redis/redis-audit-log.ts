import type { Redis } from 'ioredis';
import type { RequestId } from '../../core/domain/access-request.js';
import { AuditCheckpointSchema, type AuditCheckpoint } from '../../core/domain/audit-checkpoint.js';
import { AuditEventSchema, GENESIS_HASH, type AuditEvent } from '../../core/domain/audit-event.js';
import type { AuditVerification } from '../../core/ports/audit-log.js';
import { AuditChainVerifier } from '../audit-chain.js';
import type { RedisKeys } from './keys.js';

/**
 * The read side of the audit trail on Redis: the stream `<prefix>audit` (entry id `<seq>-1`), the
 * head, each request's list of seqs and the signed checkpoints. Events are appended by the commit
 * script (see redis-request-store.ts), in the same atomic step as the change they record.
 */
export class RedisAuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async auditOf(id: RequestId): Promise<AuditEvent[]> {
    const seqs = await this.redis.lrange(this.keys.requestAudit(id), 0, -1);
    if (seqs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const seq of seqs) pipeline.xrange(this.keys.auditStream(), `${seq}-1`, `${seq}-1`);
    const results = (await pipeline.exec()) ?? [];
    return results.flatMap(([, entries]) => (entries as [string, string[]][]).map(([, fields]) => eventFromFields(fields)));
  }

  async *exportAudit(sinceMs?: number): AsyncIterable<AuditEvent> {
    let start = '-';
    for (;;) {
      const batch = (await this.redis.xrange(this.keys.auditStream(), start, '+', 'COUNT', 500)) as [string, string[]][];
      for (const [, fields] of batch) {
        const event = eventFromFields(fields);
        if (sinceMs === undefined || Date.parse(event.at) >= sinceMs) yield event;
      }
      if (batch.length < 500) return;
      start = `(${batch[batch.length - 1]![0]}`;
    }
  }

  async verifyAudit(): Promise<AuditVerification> {
    // The head is read first and the walk stops there: events appended while verifying (a live
    // system) are after the snapshot, not a break in it.
    const head = await this.redis.hgetall(this.keys.auditHead());
    const written = head.seq === undefined ? undefined : Number(head.seq);
    const verifier = new AuditChainVerifier();
    let start = '-';
    for (;;) {
      const batch = (await this.redis.xrange(this.keys.auditStream(), start, '+', 'COUNT', 1000)) as [string, string[]][];
      for (const [id, fields] of batch) {
        const position = Number(id.split('-')[0]);
        if (written !== undefined && position > written) return verifier.finish(written);
        const f = fieldMap(fields);
        const broken = verifier.next({ position, body: f.body ?? '', prev: f.prev ?? '', hash: f.hash ?? '' });
        if (broken) return broken;
      }
      if (batch.length < 1000) break;
      start = `(${batch[batch.length - 1]![0]}`;
    }
    return verifier.finish(written);
  }

  async auditHead(): Promise<{ seq: number; hash: string }> {
    const head = await this.redis.hgetall(this.keys.auditHead());
    return { seq: Number(head.seq ?? 0), hash: head.hash ?? GENESIS_HASH };
  }

  async auditEventAt(seq: number): Promise<AuditEvent | undefined> {
    const entries = (await this.redis.xrange(this.keys.auditStream(), `${seq}-1`, `${seq}-1`)) as [string, string[]][];
    return entries[0] ? eventFromFields(entries[0][1]) : undefined;
  }

  async appendCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    await this.redis.rpush(this.keys.auditCheckpoints(), JSON.stringify(AuditCheckpointSchema.parse(checkpoint)));
  }

  async checkpoints(): Promise<AuditCheckpoint[]> {
    const all = await this.redis.lrange(this.keys.auditCheckpoints(), 0, -1);
    return all.map(parseCheckpoint);
  }

  async lastCheckpoint(): Promise<AuditCheckpoint | undefined> {
    const last = await this.redis.lindex(this.keys.auditCheckpoints(), -1);
    return last === null ? undefined : parseCheckpoint(last);
  }

  /** Removes events up to `seq` (stream ids `<seq>-1`, so MINID `<seq + 1>-0`). */
  async trimAuditThrough(seq: number): Promise<number> {
    return this.redis.xtrim(this.keys.auditStream(), 'MINID', `${seq + 1}-0`);
  }

  /** Up to `limit` events with seq > `afterSeq`, in order: how sinks read the trail. */
  async auditEventsAfter(afterSeq: number, limit: number): Promise<AuditEvent[]> {
    const batch = (await this.redis.xrange(this.keys.auditStream(), `(${afterSeq}-1`, '+', 'COUNT', limit)) as [string, string[]][];
    return batch.map(([, fields]) => eventFromFields(fields));
  }
}

function parseCheckpoint(json: string): AuditCheckpoint {
  return AuditCheckpointSchema.parse(JSON.parse(json));
}

function fieldMap(fields: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) out[fields[i]!] = fields[i + 1]!;
  return out;
}

function eventFromFields(fields: string[]): AuditEvent {
  const f = fieldMap(fields);
  return AuditEventSchema.parse({ ...JSON.parse(f.body ?? '{}'), prev: f.prev, hash: f.hash });
}
