import type { AuditCheckpoint } from '../domain/audit-checkpoint.js';
import type { AuditEvent } from '../domain/audit-event.js';

/**
 * A place outside Redis that receives the sealed audit trail (`settings.audit.sinks`): a JSONL file,
 * a PostgreSQL table, a SIEM collector. The sink runner feeds each sink the events after the
 * position the sink itself reports, in order, so every event arrives exactly once and a crash
 * resumes where the sink stopped.
 */
export interface AuditSink {
  /** The sink's name in `settings.audit.sinks` (its type unless named). */
  readonly name: string;
  /** Prepares the sink (directory, table) and returns the last seq it durably holds (0: none). */
  open(): Promise<number>;
  /** Appends the next events (contiguous after the position) and any checkpoints; resolves once durable. */
  write(batch: { events: readonly AuditEvent[]; checkpoints: readonly AuditCheckpoint[] }): Promise<void>;
  close(): Promise<void>;
}

/**
 * Where the runner records each sink's delivered position, in `AdapterState` (namespace, key = sink
 * name, value = JSON `{ "seq": n, "at": epoch ms }`): what `/readyz`, the lag metrics and retention read.
 */
export const SINK_POSITIONS_NAMESPACE = 'audit-sinks';
