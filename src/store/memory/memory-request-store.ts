import type { AccessRequest, RequestId, RequestStatus } from '../../core/domain/access-request.js';
import type { AuditCheckpoint } from '../../core/domain/audit-checkpoint.js';
import type { AuditDraft, AuditEvent } from '../../core/domain/audit-event.js';
import type { AdapterState, MessageRef } from '../../core/ports/adapter-state.js';
import type { AuditLog, AuditVerification } from '../../core/ports/audit-log.js';
import { systemClock, type Clock } from '../../core/ports/clock.js';
import type { LimitCheck } from '../../core/policy/request-limits.js';
import type { RequestRecords } from '../../core/ports/request-records.js';
import type { Readiness } from '../../core/ports/request-store.js';
import { MemoryAdapterState } from './memory-adapter-state.js';
import { MemoryAuditLog, type MemoryAuditTrail } from './memory-audit-log.js';
import { MemoryRequestRecords } from './memory-request-records.js';

export interface MemoryStoreOptions {
  /** Stamps audit events and runs claim TTLs (a ManualClock in tests). */
  clock?: Clock;
  /** The audit trail's storage, for tests that simulate tampering. */
  trail?: MemoryAuditTrail;
}

/**
 * The three store ports in process memory, as one object where a caller still takes the whole store
 * (`CoreDeps.store`). Nothing survives the process: this is for tests and single-process demos.
 */
export class MemoryRequestStore implements RequestRecords, AuditLog, AdapterState, Readiness {
  readonly audit: MemoryAuditLog;
  readonly records: MemoryRequestRecords;
  readonly state: MemoryAdapterState;

  constructor(options: MemoryStoreOptions = {}) {
    const clock = options.clock ?? systemClock;
    this.audit = new MemoryAuditLog({ clock, ...(options.trail ? { trail: options.trail } : {}) });
    this.records = new MemoryRequestRecords(this.audit);
    this.state = new MemoryAdapterState(clock);
  }

  nextId(): Promise<RequestId> {
    return this.records.nextId();
  }
  get(id: RequestId): Promise<AccessRequest | undefined> {
    return this.records.get(id);
  }
  getMany(ids: readonly RequestId[]): Promise<AccessRequest[]> {
    return this.records.getMany(ids);
  }
  create(request: AccessRequest, audit: AuditDraft, limits?: readonly LimitCheck[]): Promise<AccessRequest> {
    return this.records.create(request, audit, limits);
  }
  update(before: AccessRequest, after: AccessRequest, audit: AuditDraft): Promise<AccessRequest> {
    return this.records.update(before, after, audit);
  }
  listByRequester(person: string, limit: number): Promise<AccessRequest[]> {
    return this.records.listByRequester(person, limit);
  }
  listWaitingOn(person: string): Promise<AccessRequest[]> {
    return this.records.listWaitingOn(person);
  }
  listByStatus(status: RequestStatus, limit: number): Promise<AccessRequest[]> {
    return this.records.listByStatus(status, limit);
  }
  listHoldingAccessEndingBy(ms: number, limit: number): Promise<RequestId[]> {
    return this.records.listHoldingAccessEndingBy(ms, limit);
  }
  countHoldingAccess(): Promise<number> {
    return this.records.countHoldingAccess();
  }

  appendAudit(audit: AuditDraft): Promise<AuditEvent> {
    return this.audit.appendAudit(audit);
  }
  auditOf(id: RequestId): Promise<AuditEvent[]> {
    return this.audit.auditOf(id);
  }
  exportAudit(sinceMs?: number): AsyncIterable<AuditEvent> {
    return this.audit.exportAudit(sinceMs);
  }
  auditEventsAfter(afterSeq: number, limit: number): Promise<AuditEvent[]> {
    return this.audit.auditEventsAfter(afterSeq, limit);
  }
  verifyAudit(): Promise<AuditVerification> {
    return this.audit.verifyAudit();
  }
  auditHead(): Promise<{ seq: number; hash: string }> {
    return this.audit.auditHead();
  }
  auditEventAt(seq: number): Promise<AuditEvent | undefined> {
    return this.audit.auditEventAt(seq);
  }
  trimAuditThrough(seq: number): Promise<number> {
    return this.audit.trimAuditThrough(seq);
  }
  appendCheckpoint(checkpoint: AuditCheckpoint): Promise<void> {
    return this.audit.appendCheckpoint(checkpoint);
  }
  checkpoints(): Promise<AuditCheckpoint[]> {
    return this.audit.checkpoints();
  }
  lastCheckpoint(): Promise<AuditCheckpoint | undefined> {
    return this.audit.lastCheckpoint();
  }

  saveMessageRef(id: RequestId, ref: MessageRef): Promise<void> {
    return this.state.saveMessageRef(id, ref);
  }
  messageRefs(id: RequestId): Promise<MessageRef[]> {
    return this.state.messageRefs(id);
  }
  claimOnce(key: string, ttlMs: number): Promise<boolean> {
    return this.state.claimOnce(key, ttlMs);
  }
  releaseClaim(key: string): Promise<void> {
    return this.state.releaseClaim(key);
  }
  putValue(namespace: string, key: string, value: string): Promise<void> {
    return this.state.putValue(namespace, key, value);
  }
  getValue(namespace: string, key: string): Promise<string | undefined> {
    return this.state.getValue(namespace, key);
  }

  async ping(): Promise<void> {}
}
