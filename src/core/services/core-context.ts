import type { CheckpointSigner } from '../ports/checkpoint-signer.js';
import type { AccessRequest, Actor, RequestId } from '../domain/access-request.js';
import type { AdapterState } from '../ports/adapter-state.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { AuditDraft } from '../domain/audit-event.js';
import { JitError, isJitError } from '../domain/errors.js';
import type { Policy, Resource } from '../policy/policy-schema.js';
import type { Clock } from '../ports/clock.js';
import type { Issuer } from '../ports/issuer.js';
import type { Logger } from '../ports/logger.js';
import type { Notifier, PersonIdentity } from '../ports/notifier.js';
import type { Observer } from '../ports/observer.js';
import type { RequestRecords } from '../ports/request-records.js';
import type { Scheduler } from '../ports/scheduler.js';
import type { SecretBox } from '../ports/secret-box.js';
import { personNamed, resourceNamed } from '../policy/policy-lookup.js';

/** Tunables of the grant engine; defaults suit production, tests shorten them. */
export interface EngineSettings {
  /** Failed revoke attempts before a grant is marked `revoke_failed` and approvers are alerted. */
  revokeFailedAfterAttempts: number;
  /** Issue attempts before a request is marked `failed`. */
  issueMaxAttempts: number;
  /** A revoke job that fires this much before the (moved) end re-delays itself instead of revoking. */
  earlyToleranceMs: number;
  /** A signed audit checkpoint is written once this many events were added since the last one… */
  checkpointEveryEvents: number;
  /** …or once this long passed since it, if any event was added. */
  checkpointEveryMs: number;
}

export const DEFAULT_ENGINE_SETTINGS: EngineSettings = {
  revokeFailedAfterAttempts: 5,
  issueMaxAttempts: 6,
  earlyToleranceMs: 1000,
  checkpointEveryEvents: 1000,
  checkpointEveryMs: 10_000,
};

/** What the use cases need from the outside world: ports only, wired by app/. */
export interface CoreDeps {
  requests: RequestRecords;
  audit: AuditLog;
  /** Card handles, once-only claims and small values kept beside the requests. */
  state: AdapterState;
  scheduler: Scheduler;
  clock: Clock;
  /** The current policy (reloads swap it). */
  policy: () => Policy;
  /** The issuer named under `issuers:`, built at start. */
  issuer: (name: string) => Issuer | undefined;
  notifiers: readonly Notifier[];
  secretBox: SecretBox;
  log: Logger;
  engine: EngineSettings;
  observer?: Observer;
  /** Signs audit checkpoints; only worker processes have it. */
  checkpointSigner?: CheckpointSigner;
}

export function personIdentity(policy: Policy, name: string): PersonIdentity {
  return { name, ...(personNamed(policy, name) ?? {}) };
}

export async function loadRequest(deps: CoreDeps, id: RequestId): Promise<AccessRequest> {
  const request = await deps.requests.get(id);
  if (!request) throw new JitError('REQUEST.NOT_FOUND', `There is no request ${id}. /jit list shows yours.`);
  return request;
}

export function resourceOf(deps: CoreDeps, request: AccessRequest): Resource | undefined {
  return resourceNamed(deps.policy(), request.resource);
}

export interface Change {
  after: AccessRequest;
  audit: Omit<AuditDraft, 'requestId'>;
}

/**
 * Read, decide, write with a version check, and on a lost race read again and decide again: the
 * decision is always made on the state that is actually stored. `decide` may throw to refuse.
 */
export async function mutate(
  deps: CoreDeps,
  id: RequestId,
  decide: (current: AccessRequest) => Change,
  /** The record as just read, to save a round trip; a stale one only costs a retry. */
  known?: AccessRequest,
): Promise<{ before: AccessRequest; after: AccessRequest }> {
  for (let attempt = 0; ; attempt++) {
    const before = attempt === 0 && known ? known : await loadRequest(deps, id);
    const change = decide(before);
    try {
      const after = await deps.requests.update(before, change.after, { ...change.audit, requestId: id });
      return { before, after };
    } catch (error) {
      if (!isJitError(error, 'REQUEST.CONFLICT') || attempt >= 50) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)));
    }
  }
}

export function actorPerson(actor: Actor): string | undefined {
  return actor.kind === 'person' ? actor.person : undefined;
}

/** The requester name an actor owns requests under: a person's name, or a pipeline's requester name. */
export function actorRequester(actor: Actor): string | undefined {
  if (actor.kind === 'person') return actor.person;
  if (actor.kind === 'pipeline') return actor.pipeline;
  return undefined;
}
