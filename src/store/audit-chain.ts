import { createHash } from 'node:crypto';
import { AuditEventSchema, GENESIS_HASH, type AuditEvent } from '../core/domain/audit-event.js';
import type { AuditVerification } from '../core/ports/audit-log.js';

/**
 * One stored link of the audit chain, as every store keeps it: the canonical JSON body that was
 * hashed, the previous hash and its own. `position` is where the store keeps it (the Redis stream id's
 * sequence number), which verification compares with the `seq` inside the body.
 */
export interface StoredAuditEntry {
  position: number;
  body: string;
  prev: string;
  hash: string;
}

/** SHA-256 of the previous hash and the canonical body: the chain's one hash function. */
export function chainHash(prev: string, body: string): string {
  return createHash('sha256').update(prev + body, 'utf8').digest('hex');
}

export function auditEventOf(entry: Pick<StoredAuditEntry, 'body' | 'prev' | 'hash'>): AuditEvent {
  return AuditEventSchema.parse({ ...JSON.parse(entry.body || '{}'), prev: entry.prev, hash: entry.hash });
}

/**
 * Walks a chain entry by entry (stores feed it in batches) and stops at the first broken link, so
 * every store names the same problem for the same damage.
 */
export class AuditChainVerifier {
  private expectedPrev = GENESIS_HASH;
  private expectedSeq = 1;
  private count = 0;

  /** Checks the next entry; a failure means the walk is over. */
  next(entry: StoredAuditEntry): Extract<AuditVerification, { ok: false }> | undefined {
    const { position } = entry;
    const broken = (brokenAt: number, problem: string) => ({ ok: false as const, events: this.count, brokenAt, problem });
    let body: { seq?: unknown };
    try {
      body = JSON.parse(entry.body) as { seq?: unknown };
    } catch {
      return broken(position, `event ${position} is not valid JSON`);
    }
    if (position !== this.expectedSeq) {
      return broken(this.expectedSeq, `event ${this.expectedSeq} is missing (the next stored event is ${position})`);
    }
    if (body.seq !== position) return broken(position, `event ${position} claims seq ${String(body.seq)}`);
    if (entry.prev !== this.expectedPrev) return broken(position, `event ${position} does not link to event ${position - 1}`);
    const hash = chainHash(this.expectedPrev, entry.body);
    if (hash !== entry.hash) return broken(position, `event ${position} was altered (its hash does not match its content)`);
    this.expectedPrev = hash;
    this.expectedSeq += 1;
    this.count += 1;
    return undefined;
  }

  /** The verdict once every entry passed; `writtenSeq` is how many events the store's head says were written. */
  finish(writtenSeq: number | undefined): AuditVerification {
    if (writtenSeq !== undefined && writtenSeq !== this.count) {
      return {
        ok: false,
        events: this.count,
        brokenAt: this.count + 1,
        problem: `the trail ends at event ${this.count} but ${writtenSeq} were written (events were removed from the end)`,
      };
    }
    return { ok: true, events: this.count, lastHash: this.expectedPrev };
  }
}
