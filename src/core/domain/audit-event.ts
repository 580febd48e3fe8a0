import { z } from 'zod';
import { ActorSchema } from './access-request.js';

/** The hash that stands before the first event of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * One entry of the audit trail. `hash` = SHA-256(prev + canonical JSON of {seq, at, type, requestId,
 * actor, data}). `data` never holds a secret: only ids, hashes, accessors and sentences.
 */
export const AuditEventSchema = z.object({
  seq: z.number().int().positive(),
  at: z.string(),
  type: z.string(),
  requestId: z.string().nullable(),
  actor: ActorSchema,
  data: z.record(z.string(), z.unknown()),
  prev: z.string(),
  hash: z.string(),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** What a caller provides; the store assigns `seq`, `prev` and `hash` inside the atomic write. */
export type AuditDraft = Pick<AuditEvent, 'type' | 'requestId' | 'actor' | 'data'> & { at?: string };

/** JSON with object keys sorted at every depth and no whitespace: the bytes that get hashed. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
    return JSON.stringify(value) ?? 'null';
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
