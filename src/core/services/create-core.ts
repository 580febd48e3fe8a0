import type { AccessRequest, Actor, RequestId } from '../domain/access-request.js';
import { JitError } from '../domain/errors.js';
import { personByPlatformId, type Platform } from '../policy/evaluate-policy.js';
import type { Notification } from '../ports/scheduler.js';
import { commandTargets, type TargetVerb } from './command-targets.js';
import type { CoreDeps } from './core-context.js';
import { cardOf, deliverNotification } from './deliver-notification.js';
import { cancelRequest, extendAccess, releaseAccess, revokeAccess } from './end-access.js';
import { runExtendAtIssuer, runIssue, runReannounce, runReminder, runRevoke, runTimeout } from './grant-jobs.js';
import { handleCommand, resourceChoices } from './handle-command.js';
import { reconcile, type ReconcileOptions } from './reconcile.js';
import { collectPipelineCredential, discardPipelineCredential } from './pipeline-credentials.js';
import { requestAccess, type RequestAccessInput } from './request-access.js';
import { approveRequest, denyRequest } from './review-request.js';

type PersonActor = Actor & { kind: 'person' };

/** The single object adapters, jobs and the CLI receive: every use case, bound to its ports. */
export function createCore(deps: CoreDeps) {
  return {
    deps,
    /** The person behind a stable platform user id, as an actor; a clear error for strangers. */
    identify(platform: Platform, userId: string): PersonActor {
      const person = personByPlatformId(deps.policy(), platform, userId);
      if (!person) {
        throw new JitError(
          'POLICY.UNKNOWN_PERSON',
          `jitbot does not know you yet: ask an admin to add your ${platform === 'slack' ? 'Slack user id' : 'Teams (Entra object) id'} ${userId} under people in the policy.`,
        );
      }
      return { kind: 'person', person, via: platform, platformUserId: userId };
    },
    handleCommand: (actor: PersonActor, text: string) => handleCommand(deps, actor, text),
    resourceChoices: (person: string) => resourceChoices(deps, person),
    /** Ids `verb` would act on for this person now (tab completion). */
    commandTargets: (person: string, verb: TargetVerb, seen: readonly string[]) => commandTargets(deps, person, verb, seen),
    /** The approval card of a request as everybody sees it now. */
    cardOf: (request: AccessRequest) => cardOf(deps, request),
    requestAccess: (input: RequestAccessInput) => requestAccess(deps, input),
    approve: (actor: PersonActor, id: RequestId) => approveRequest(deps, actor, id),
    deny: (actor: PersonActor, id: RequestId, reason: string) => denyRequest(deps, actor, id, reason),
    cancel: (actor: Actor, id: RequestId) => cancelRequest(deps, actor, id),
    release: (actor: Actor, id: RequestId) => releaseAccess(deps, actor, id),
    revoke: (actor: Actor, id: RequestId, reason: string) => revokeAccess(deps, actor, id, reason),
    extend: (actor: PersonActor, id: RequestId, duration: string, reason: string) => extendAccess(deps, actor, id, duration, reason),
    /** A pipeline's credential, handed out once (pipelines cannot get DMs). */
    pipelineCredential: {
      collect: (request: AccessRequest) => collectPipelineCredential(deps, request),
      discard: (id: RequestId) => discardPipelineCredential(deps, id),
    },
    jobs: {
      issue: (id: RequestId, attempt: { made: number }) => runIssue(deps, id, attempt),
      revoke: (id: RequestId) => runRevoke(deps, id),
      extendAtIssuer: (id: RequestId) => runExtendAtIssuer(deps, id),
      remind: (id: RequestId) => runReminder(deps, id),
      timeout: (id: RequestId) => runTimeout(deps, id),
      reannounce: (id: RequestId, round: number) => runReannounce(deps, id, round),
      deliver: (notification: Notification) => deliverNotification(deps, notification),
      reconcile: (options?: ReconcileOptions) => reconcile(deps, options),
    },
  };
}

export type JitCore = ReturnType<typeof createCore>;
