import type { RequestId } from '../../core/domain/access-request.js';
import type { AuditCheckpoint } from '../../core/domain/audit-checkpoint.js';
import { GENESIS_HASH, canonicalJson, type AuditDraft, type AuditEvent } from '../../core/domain/audit-event.js';
import type { AuditLog, AuditVerification } from '../../core/ports/audit-log.js';
import { systemClock, type Clock } from '../../core/ports/clock.js';
import { AuditChainVerifier, auditEventOf, chainHash, type StoredAuditEntry } from '../audit-chain.js';

/**
 * What the in-memory audit log keeps, laid out like the Redis keys: the chain's entries by position
 * (the stream), the head (how many were written and the last hash) and each request's positions.
 * Passing one in lets a test alter it behind the log's back, as a tampering test does on Redis.
 */
export interface MemoryAuditTrail {
  entries: Map<number, StoredAuditEntry>;
  head: { seq: number; hash: string };
  byRequest: Map<RequestId, number[]>;
  checkpoints: AuditCheckpoint[];
}

export function emptyAuditTrail(): MemoryAuditTrail {
  return { entries: new Map(), head: { seq: 0, hash: GENESIS_HASH }, byRequest: new Map(), checkpoints: [] };
}

/** The audit log in process memory: the same hash chain, bytes and verification as on Redis. */
export class MemoryAuditLog implements AuditLog {
  private readonly clock: Clock;
  private readonly trail: MemoryAuditTrail;

  constructor(options: { clock?: Clock; trail?: MemoryAuditTrail } = {}) {
    this.clock = options.clock ?? systemClock;
    this.trail = options.trail ?? emptyAuditTrail();
  }

  /**
   * Appends one event synchronously, so that the request store can make it part of the same step
   * as its record write (nothing else runs in between on Node's one thread).
   */
  append(audit: AuditDraft): AuditEvent {
    const seq = this.trail.head.seq + 1;
    const at = audit.at ?? new Date(this.clock.now()).toISOString();
    // The same canonical JSON the Redis commit script hashes: keys sorted, `seq` filled in.
    const body = canonicalJson({ actor: audit.actor, at, data: audit.data, requestId: audit.requestId, seq, type: audit.type });
    const prev = this.trail.head.hash;
    const entry: StoredAuditEntry = { position: seq, body, prev, hash: chainHash(prev, body) };
    this.trail.head = { seq, hash: entry.hash };
    this.trail.entries.set(seq, entry);
    if (audit.requestId) {
      const list = this.trail.byRequest.get(audit.requestId) ?? [];
      list.push(seq);
      this.trail.byRequest.set(audit.requestId, list);
    }
    return auditEventOf(entry);
  }

  async appendAudit(audit: AuditDraft): Promise<AuditEvent> {
    return this.append(audit);
  }

  async auditOf(id: RequestId): Promise<AuditEvent[]> {
    const positions = this.trail.byRequest.get(id) ?? [];
    return positions.flatMap((position) => {
      const entry = this.trail.entries.get(position);
      return entry ? [auditEventOf(entry)] : [];
    });
  }

  async *exportAudit(sinceMs?: number): AsyncIterable<AuditEvent> {
    for (const entry of [...this.trail.entries.values()]) {
      const event = auditEventOf(entry);
      if (sinceMs === undefined || Date.parse(event.at) >= sinceMs) yield event;
    }
  }

  async auditEventsAfter(afterSeq: number, limit: number): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    for (let seq = afterSeq + 1; out.length < limit && seq <= this.trail.head.seq; seq += 1) {
      const entry = this.trail.entries.get(seq);
      if (entry) out.push(auditEventOf(entry));
    }
    return out;
  }

  async auditHead(): Promise<{ seq: number; hash: string }> {
    return { ...this.trail.head };
  }

  async auditEventAt(seq: number): Promise<AuditEvent | undefined> {
    const entry = this.trail.entries.get(seq);
    return entry ? auditEventOf(entry) : undefined;
  }

  async trimAuditThrough(seq: number): Promise<number> {
    let removed = 0;
    for (const position of [...this.trail.entries.keys()]) {
      if (position <= seq && this.trail.entries.delete(position)) removed += 1;
    }
    return removed;
  }

  async appendCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    this.trail.checkpoints.push({ ...checkpoint });
  }

  async checkpoints(): Promise<AuditCheckpoint[]> {
    return this.trail.checkpoints.map((c) => ({ ...c }));
  }

  async lastCheckpoint(): Promise<AuditCheckpoint | undefined> {
    const last = this.trail.checkpoints[this.trail.checkpoints.length - 1];
    return last ? { ...last } : undefined;
  }

  async verifyAudit(): Promise<AuditVerification> {
    const verifier = new AuditChainVerifier();
    const ordered = [...this.trail.entries.values()].sort((a, b) => a.position - b.position);
    for (const entry of ordered) {
      const broken = verifier.next(entry);
      if (broken) return broken;
    }
    return verifier.finish(this.trail.head.seq === 0 ? undefined : this.trail.head.seq);
  }
}
