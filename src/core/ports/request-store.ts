import type { AdapterState } from './adapter-state.js';
import type { AuditLog } from './audit-log.js';
import type { RequestRecords } from './request-records.js';

export type { MessageRef } from './adapter-state.js';
export type { AuditVerification } from './audit-log.js';

/** The store answers a round trip, for readiness probes. */
export interface Readiness {
  ping(): Promise<void>;
}

/**
 * Everything durable, as one object: the requests, the audit trail and adapter state. Kept as the
 * union of the three narrow ports while callers still take the whole store; new code should ask for
 * the narrow port it needs (`RequestRecords`, `AuditLog`, `AdapterState`).
 */
export type RequestStore = RequestRecords & AuditLog & AdapterState & Readiness;
