import type { AccessRequest, RequestId } from '../domain/access-request.js';
import type { IssuedSecret } from '../ports/issuer.js';
import type { CoreDeps } from './core-context.js';

/**
 * A pipeline cannot receive a DM: the credential issued for its request waits, sealed, until the
 * pipeline collects it through the API, once. Then (or when the grant ends) it is overwritten.
 */
const NAMESPACE = 'pipeline-credentials';
const COLLECTED = '';
// Longer than any grant lives: the claim is what makes "once" hold between concurrent readers.
const CLAIM_TTL_MS = 90 * 24 * 3600_000;

/** Keeps the issued secret of a pipeline's grant, sealed, for the pipeline to collect. Called before the grant turns active. */
export async function keepPipelineCredential(deps: CoreDeps, id: RequestId, secret: IssuedSecret): Promise<void> {
  await deps.state.putValue(NAMESPACE, id, deps.secretBox.seal(JSON.stringify(secret)));
}

/** What a pipeline's read of its active grant finds. */
export type CredentialPickup =
  | { kind: 'credential'; secret: IssuedSecret }
  /** Someone (this pipeline, earlier) already collected it. */
  | { kind: 'collected' }
  /** The issuer made no secret (e.g. an approval-only gate). */
  | { kind: 'none' };

/**
 * Hands out the credential of an active pipeline grant exactly once: the first reader claims it and
 * overwrites the stored copy; every later read learns it was collected. Never logs or audits the secret.
 */
export async function collectPipelineCredential(deps: CoreDeps, request: AccessRequest): Promise<CredentialPickup> {
  if (request.status !== 'active' || !request.pipeline) return { kind: 'none' };
  const sealed = await deps.state.getValue(NAMESPACE, request.id);
  if (sealed === undefined) return { kind: 'none' };
  if (sealed === COLLECTED) return { kind: 'collected' };
  if (!(await deps.state.claimOnce(`pipeline-credential:${request.id}`, CLAIM_TTL_MS))) return { kind: 'collected' };
  await deps.state.putValue(NAMESPACE, request.id, COLLECTED);
  const secret = JSON.parse(deps.secretBox.open(sealed)) as IssuedSecret;
  await deps.audit.appendAudit({
    type: 'pipeline.credential_collected',
    requestId: request.id,
    actor: { kind: 'pipeline', pipeline: request.requester, via: 'api', subject: request.pipeline.subject, ...(request.pipeline.runId ? { runId: request.pipeline.runId } : {}) },
    data: { label: secret.label },
  });
  return { kind: 'credential', secret };
}

/** Drops an uncollected credential (the grant ended before the pipeline came for it). Idempotent. */
export async function discardPipelineCredential(deps: CoreDeps, id: RequestId): Promise<void> {
  const sealed = await deps.state.getValue(NAMESPACE, id);
  if (sealed !== undefined && sealed !== COLLECTED) await deps.state.putValue(NAMESPACE, id, COLLECTED);
}
