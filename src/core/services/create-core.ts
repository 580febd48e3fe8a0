import type { AccessRequest, Actor, RequestId } from '../domain/access-request.js';
import { JitError } from '../domain/errors.js';
import { personByPlatformId, type Platform } from '../policy/evaluate-policy.js';
import type { Notification } from '../ports/scheduler.js';
import { commandTargets, type TargetVerb } from './command-targets.js';
import type { CoreDeps } from './core-context.js';
import { cardOf, deliverNotification } from './deliver-notification.js';
import { runExtendAtIssuer, runIssue, runReannounce, runReminder, runRevoke, runTimeout } from './grant-jobs.js';
import { handleCommand, resourceChoices } from './handle-command.js';
import { reconcile, type ReconcileOptions } from './reconcile.js';
import { collectPipelineCredential, discardPipelineCredential } from './pipeline-credentials.js';
import { typedCommands } from './typed-commands.js';

type PersonActor = Actor & { kind: 'person' };

/** The single object adapters, jobs and the CLI receive: every use case, bound to its ports. */
export function createCore(deps: CoreDeps) {
  const commands = typedCommands(deps);
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
    /** Typed text (slash command, console, Teams message): parsed, run by the typed commands below, rendered. */
    handleCommand: (actor: PersonActor, text: string) => handleCommand(deps, commands, actor, text),
    resourceChoices: (person: string) => resourceChoices(deps, person),
    /** Ids `verb` would act on for this person now (tab completion). */
    commandTargets: (person: string, verb: TargetVerb, seen: readonly string[]) => commandTargets(deps, person, verb, seen),
    /** The approval card of a request as everybody sees it now. */
    cardOf: (request: AccessRequest) => cardOf(deps, request),
    /** request, approve, deny, cancel, release, revoke, extend: each returns a typed outcome, never a sentence. */
    ...commands,
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
