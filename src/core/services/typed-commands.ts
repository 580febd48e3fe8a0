import type { Actor, RequestId } from '../domain/access-request.js';
import { isJitError } from '../domain/errors.js';
import type { CoreDeps } from './core-context.js';
import { cancelRequest, extendAccess, releaseAccess, revokeAccess } from './end-access.js';
import { requestAccess, type RequestAccessInput } from './request-access.js';
import { approveRequest, denyRequest } from './review-request.js';

type PersonActor = Actor & { kind: 'person' };

/**
 * The verbs that change a request, each returning a typed outcome (`domain/command-outcome.ts`).
 * Typed text (`handleCommand`), buttons, cards and forms all arrive here, so a person's command is
 * counted once however it was given; pipelines and operators are not chat commands and are not counted.
 */
export function typedCommands(deps: CoreDeps) {
  const counted = async <T>(name: string, actor: Actor, run: () => Promise<T>): Promise<T> => {
    if (actor.kind !== 'person') return run();
    try {
      const outcome = await run();
      deps.observer?.commandHandled?.(name, 'ok');
      return outcome;
    } catch (error) {
      deps.observer?.commandHandled?.(name, isJitError(error) ? 'refused' : 'error');
      throw error;
    }
  };
  return {
    requestAccess: (input: RequestAccessInput) => counted('request', input.actor, () => requestAccess(deps, input)),
    approve: (actor: PersonActor, id: RequestId) => counted('approve', actor, () => approveRequest(deps, actor, id)),
    deny: (actor: PersonActor, id: RequestId, reason: string) => counted('deny', actor, () => denyRequest(deps, actor, id, reason)),
    cancel: (actor: Actor, id: RequestId) => counted('cancel', actor, () => cancelRequest(deps, actor, id)),
    release: (actor: Actor, id: RequestId) => counted('release', actor, () => releaseAccess(deps, actor, id)),
    revoke: (actor: Actor, id: RequestId, reason: string) => counted('revoke', actor, () => revokeAccess(deps, actor, id, reason)),
    extend: (actor: PersonActor, id: RequestId, duration: string, reason: string) =>
      counted('extend', actor, () => extendAccess(deps, actor, id, duration, reason)),
  };
}

export type TypedCommands = ReturnType<typeof typedCommands>;
