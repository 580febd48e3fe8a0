import { checkpointStatement, type AuditCheckpoint } from '../domain/audit-checkpoint.js';
import type { AuditLog, SignedAuditVerification } from '../ports/audit-log.js';
import type { CheckpointVerifier } from '../ports/checkpoint-signer.js';
import type { CoreDeps } from './core-context.js';

/**
 * Signs the chain's head when it moved by `checkpointEveryEvents`, or moved at all and
 * `checkpointEveryMs` passed since the last checkpoint (`force`: whenever it moved, as at shutdown).
 * Whoever extends the chain calls this: today a worker's timer, later the sealer after a batch.
 * Two workers may both sign the same head; both checkpoints are true, so verification accepts both.
 */
export async function writeCheckpoint(deps: Pick<CoreDeps, 'audit' | 'clock' | 'engine' | 'checkpointSigner'>, options: { force?: boolean } = {}): Promise<AuditCheckpoint | undefined> {
  const signer = deps.checkpointSigner;
  if (!signer) return undefined;
  const [head, last] = await Promise.all([deps.audit.auditHead(), deps.audit.lastCheckpoint()]);
  if (head.seq === 0 || (last && last.seq >= head.seq)) return undefined;
  const now = deps.clock.now();
  const due =
    options.force === true ||
    !last ||
    head.seq - last.seq >= deps.engine.checkpointEveryEvents ||
    now - Date.parse(last.at) >= deps.engine.checkpointEveryMs;
  if (!due) return undefined;
  const statement = { seq: head.seq, hash: head.hash, at: new Date(now).toISOString() };
  const checkpoint: AuditCheckpoint = { ...statement, signature: signer.sign(checkpointStatement(statement)), keyId: signer.keyId };
  await deps.audit.appendCheckpoint(checkpoint);
  return checkpoint;
}

/**
 * The chain, then every checkpoint: its signature must verify with `verifier`, and the event at its
 * `seq` must still have the hash it signed. Checkpoints are read before the chain, so each one is
 * within the head the chain walk snapshots (a live system appends after both).
 */
export async function verifySignedAudit(audit: AuditLog, verifier: CheckpointVerifier): Promise<SignedAuditVerification> {
  const checkpoints = await audit.checkpoints();
  const chain = await audit.verifyAudit();
  if (!chain.ok) return { ...chain, checkpoints: 0 };
  let matched = 0;
  for (const [index, checkpoint] of checkpoints.entries()) {
    const which = `checkpoint ${index + 1} (event ${checkpoint.seq}, signed ${checkpoint.at})`;
    const failed = (brokenAt: number, problem: string): SignedAuditVerification => ({
      ok: false,
      events: Math.min(chain.events, matched),
      brokenAt,
      problem,
      checkpoints: index,
      failedCheckpoint: index + 1,
    });
    if (!verifier.verify(checkpointStatement(checkpoint), checkpoint.signature)) {
      const named = checkpoint.keyId === verifier.keyId ? '' : ` (it names key ${checkpoint.keyId})`;
      return failed(checkpoint.seq, `${which} is forged: its signature does not verify with key ${verifier.keyId}${named}`);
    }
    if (checkpoint.seq > chain.events) {
      return failed(chain.events + 1, `${which} signs event ${checkpoint.seq} but the trail ends at event ${chain.events} (events were removed)`);
    }
    const event = await audit.auditEventAt(checkpoint.seq);
    if (event?.hash !== checkpoint.hash) {
      // The chain is consistent, so it was rewritten with its hashes recomputed: the signed checkpoints
      // bound where. The first event after the last matching checkpoint is the first that may differ.
      const from = matched + 1;
      const where = from >= checkpoint.seq ? `event ${checkpoint.seq} was rewritten` : `the history was rewritten between event ${from} and event ${checkpoint.seq}`;
      return failed(from, `${where}: event ${checkpoint.seq} no longer has the hash signed in ${which}${matched ? `; event ${matched} still matches its checkpoint` : ''}`);
    }
    matched = Math.max(matched, checkpoint.seq);
  }
  return { ...chain, checkpoints: checkpoints.length };
}
