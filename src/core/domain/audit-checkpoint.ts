import { z } from 'zod';
import { canonicalJson } from './audit-event.js';

/**
 * A signed statement "the audit chain had `hash` at event `seq`, at time `at`". Kept in Redis beside
 * the chain, but signed with a key that is not: whoever rewrites the chain in Redis (hashes
 * recomputed) cannot make the rewritten events match what was signed.
 */
export const AuditCheckpointSchema = z
  .object({
    seq: z.number().int().positive(),
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    at: z.string(),
    /** Ed25519 signature of {@link checkpointStatement}, base64. */
    signature: z.string(),
    /** Which key signed it (a fingerprint of its public key), so a key rotation can be told apart from a forgery. */
    keyId: z.string(),
  })
  .strict();
export type AuditCheckpoint = z.infer<typeof AuditCheckpointSchema>;

/** The exact text a checkpoint's signature covers: versioned, so no other jitbot message can be replayed as one. */
export function checkpointStatement(checkpoint: Pick<AuditCheckpoint, 'seq' | 'hash' | 'at'>): string {
  return `jitbot-audit-checkpoint/v1\n${canonicalJson({ at: checkpoint.at, hash: checkpoint.hash, seq: checkpoint.seq })}`;
}
