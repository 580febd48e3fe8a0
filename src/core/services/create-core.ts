import type { AccessRequest, Actor, RequestId, RequestStatus } from '../domain/access-request.js';
import { JitError } from '../domain/errors.js';
import { personByPlatformId, type Platform } from '../policy/evaluate-policy.js';
import type { CheckpointVerifier } from '../ports/checkpoint-signer.js';
import type { Notification } from '../ports/scheduler.js';
import { verifySignedAudit, writeCheckpoint } from './audit-checkpoints.js';
import { commandTargets, type TargetVerb } from './command-targets.js';
import type { CoreDeps } from './core-context.js';
import { cardOf, deliverNotification } from './deliver-notification.js';
import { recordDeliveryFailure } from './delivery-failure.js';
import { runExtendAtIssuer, runIssue, runReannounce, runReminder, runRevoke, runTimeout } from './grant-jobs.js';
import { handleCommand, resourceChoices } from './handle-command.js';
import { exportAudit, grantsHoldingAccess, requestsInStatus, verifyAudit } from './operator-queries.js';
import { personHome } from './person-home.js';
import { discardPipelineCredential } from './pipeline-credentials.js';
import {
  claimPipelineRequest,
  earlierPipelineRequest,
  pipelineRequester,
  pipelineStillMatches,
  readPipelineRequest,
  rememberPipelineRequest,
  waitForRequest,
  type PipelineClaims,
  type WaitOptions,
} from './pipeline-requests.js';
import { deploymentGate, people, personNamedInPolicy, resourceChannel } from './policy-queries.js';
import { reconcile, type ReconcileOptions } from './reconcile.js';
import { validateRequestForm, type RequestFormInput } from './request-form.js';
import { checkMayDecide, findRequest, requestForViewer } from './request-for-viewer.js';
import { typedCommands } from './typed-commands.js';

type PersonActor = Actor & { kind: 'person' };

/**
 * The single object adapters, jobs and the CLI receive: every use case and query, bound to its ports.
 * It is the only door into core: the ports themselves (`deps`) stay inside.
 */
export function createCore(deps: CoreDeps) {
  const commands = typedCommands(deps);
  return {
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
    /** Typed text (slash command, console, Teams message): parsed, run by the typed commands below, rendered. */
    handleCommand: (actor: PersonActor, text: string) => handleCommand(deps, commands, actor, text),
    resourceChoices: (person: string) => resourceChoices(deps, person),
    /** Ids `verb` would act on for this person now (tab completion). */
    commandTargets: (person: string, verb: TargetVerb, seen: readonly string[]) => commandTargets(deps, person, verb, seen),
    /** The approval card of a request as everybody sees it now. */
    cardOf: (request: AccessRequest) => cardOf(deps, request),
    /** request, approve, deny, cancel, release, revoke, extend: each returns a typed outcome, never a sentence. */
    ...commands,
    /** The stored request, or undefined. */
    findRequest: (id: RequestId) => findRequest(deps, id),
    /** A request with the card everybody sees and the actions this person may take on it. */
    requestForViewer: (request: AccessRequest, person: string) => requestForViewer(deps, request, person),
    /** Throws the policy's refusal unless this person may approve or deny the request. */
    checkMayDecide: (person: string, request: AccessRequest) => checkMayDecide(deps, person, request),
    /** One person's requests, grants and what waits on them. */
    home: (person: string) => personHome(deps, person),
    /** The policy's objections to a request form, field by field. */
    validateRequestForm: (person: string, input: RequestFormInput) => validateRequestForm(deps, person, input),
    /** Lookups in the current policy. */
    policy: {
      people: () => people(deps),
      person: (name: string) => personNamedInPolicy(deps, name),
      resourceChannel: (resource: string, platform: Platform) => resourceChannel(deps, resource, platform),
      deploymentGate: (repository: string, environment: string) => deploymentGate(deps, repository, environment),
    },
    /** What the operator commands read. */
    operator: {
      requestsInStatus: (statuses: readonly RequestStatus[], limit: number) => requestsInStatus(deps, statuses, limit),
      grantsHoldingAccess: () => grantsHoldingAccess(deps),
      exportAudit: (sinceMs?: number) => exportAudit(deps, sinceMs),
      verifyAudit: () => verifyAudit(deps),
      /** The chain and every signed checkpoint, checked with this public key. */
      verifySignedAudit: (verifier: CheckpointVerifier) => verifySignedAudit(deps.audit, verifier),
    },
    /** Pipelines as requesters: matching, idempotency, the long poll and the one-time credential pickup. */
    pipelines: {
      requester: (run: PipelineClaims, resource: string) => pipelineRequester(deps, run, resource),
      stillMatches: (principal: string, run: PipelineClaims) => pipelineStillMatches(deps, principal, run),
      earlierRequest: (scope: string) => earlierPipelineRequest(deps, scope),
      claimRequest: (scope: string) => claimPipelineRequest(deps, scope),
      rememberRequest: (scope: string, id: RequestId) => rememberPipelineRequest(deps, scope, id),
      waitFor: (id: RequestId, until: (request: AccessRequest) => boolean, wait: WaitOptions) => waitForRequest(deps, id, until, wait),
      read: (request: AccessRequest, wait: WaitOptions & { since: number }) => readPipelineRequest(deps, request, wait),
      /** Drops an uncollected credential (the grant ended before the pipeline came for it). */
      discardCredential: (id: RequestId) => discardPipelineCredential(deps, id),
    },
    jobs: {
      issue: (id: RequestId, attempt: { made: number }) => runIssue(deps, id, attempt),
      revoke: (id: RequestId) => runRevoke(deps, id),
      extendAtIssuer: (id: RequestId) => runExtendAtIssuer(deps, id),
      remind: (id: RequestId) => runReminder(deps, id),
      timeout: (id: RequestId) => runTimeout(deps, id),
      reannounce: (id: RequestId, round: number) => runReannounce(deps, id, round),
      deliver: (notification: Notification) => deliverNotification(deps, notification),
      /** A notification whose job gave up, put on record. */
      deliveryFailed: (notification: Notification, error: string) => recordDeliveryFailure(deps, notification, error),
      reconcile: (options?: ReconcileOptions) => reconcile(deps, options),
      /** Signs the audit chain's head when a checkpoint is due (`force`: whenever the head moved). */
      checkpointAudit: (options?: { force?: boolean }) => writeCheckpoint(deps, options),
    },
  };
}

export type JitCore = ReturnType<typeof createCore>;
