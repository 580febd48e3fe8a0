import { z } from 'zod';
import { parseRequestId, type AccessRequest } from '../../core/domain/access-request.js';
import { JitError, isJitError } from '../../core/domain/errors.js';
import { describeStatus } from '../../core/domain/lifecycle.js';
import { commandReply, formReplyLines } from '../../core/messages/command-replies.js';
import { ADAPTIVE_CARD_CONTENT_TYPE, CARD_VERBS, type AdaptiveCard, type CardVerb } from './cards/adaptive-card.js';
import { approvalCard, type ViewerNotice } from './cards/approval-card.js';
import { extendFormCard, replyCard } from './cards/message-cards.js';
import { requestFormCard } from './cards/request-form-card.js';
import type { InboundActivity } from './inbound-activity.js';
import { refreshUserIds } from './refresh-users.js';
import type { InvokeReply } from './teams-connection.js';
import { userMessage, type PersonActor, type TeamsContext } from './teams-context.js';

/** `value` of an `adaptiveCard/action` invoke (Action.Execute, or a `refresh`). */
const ExecuteValueSchema = z.object({
  action: z.object({
    type: z.string().max(64).optional(),
    verb: z.string().max(64),
    data: z.record(z.string(), z.unknown()).optional(),
  }),
  trigger: z.string().max(32).optional(),
});

/** The data of a jitbot button plus the card's inputs (all strings), bounded. */
const ActionDataSchema = z.object({
  verb: z.enum(CARD_VERBS).optional(),
  requestId: z.string().max(40).optional(),
  reason: z.string().max(6000).optional(),
  duration: z.string().max(100).optional(),
  resource: z.string().max(200).optional(),
});
export type CardAction = { verb: CardVerb } & z.infer<typeof ActionDataSchema>;

/** The Action.Execute of an invoke, or undefined when it is not one of jitbot's. */
export function parseExecute(value: unknown): CardAction | undefined {
  const parsed = ExecuteValueSchema.safeParse(value);
  if (!parsed.success) return undefined;
  return parseActionData({ ...parsed.data.action.data, verb: parsed.data.action.verb });
}

/** A card action's data (also an Action.Submit fallback's `value`), or undefined when it is not jitbot's. */
export function parseActionData(value: unknown): CardAction | undefined {
  const parsed = ActionDataSchema.safeParse(value);
  if (!parsed.success || !parsed.data.verb) return undefined;
  return { ...parsed.data, verb: parsed.data.verb };
}

/** The body of an invoke response that replaces the card for the person who clicked (and only them). */
export function cardReply(content: AdaptiveCard): InvokeReply {
  return { status: 200, body: { statusCode: 200, type: ADAPTIVE_CARD_CONTENT_TYPE, value: content } };
}

/**
 * Runs one card action for the person who clicked and returns the card they should see now. Every
 * decision is re-checked by the core against the stored request and the current policy (the card's
 * data is untrusted); refusals and stale clicks come back as a private notice on the current state.
 * `effects: false` (a duplicate delivery) only shows the current state.
 */
export async function runCardAction(context: TeamsContext, activity: InboundActivity, action: CardAction, effects: boolean): Promise<AdaptiveCard> {
  const { core } = context;
  const aad = activity.from.aadObjectId;
  if (!aad) return replyCard(['jitbot identifies people by their Microsoft Entra account, and this action came without one.'], false);
  let actor: PersonActor;
  try {
    actor = core.identify('teams', aad);
  } catch (error) {
    return replyCard([userMessage(context, error, 'identify')], false);
  }

  if (action.verb === 'requestSubmit') return submitRequest(context, actor, action, effects);

  const id = action.requestId ? parseRequestId(action.requestId) : undefined;
  if (!id) return replyCard(['This card does not name a request; type "list" to see yours.'], false);
  const current = await core.findRequest(id);
  if (!current) return replyCard([`There is no request ${id}. Type "list" to see yours.`], false);
  if (!effects) return viewFor(context, current, actor, { text: 'Already done: this action was received twice.', kind: 'accent' });

  try {
    switch (action.verb) {
      case 'refresh':
        return await viewFor(context, current, actor);
      case 'approve':
        return await viewAfter(context, id, actor, { text: commandReply(await core.approve(actor, id)), kind: 'good' });
      case 'deny':
        // The form only for someone who may decide now; everyone else learns why not.
        core.checkMayDecide(actor.person, current);
        if (!decidable(current)) throw new JitError('REQUEST.ALREADY_DECIDED', `${id} ${describe(current)}; there is nothing to deny.`);
        return approvalCard(await cardView(context, current), { denyForm: {} });
      case 'denySubmit': {
        const reason = (action.reason ?? '').trim();
        if (!reason) return approvalCard(await cardView(context, current), { denyForm: { error: 'Say why, so the requester knows.' } });
        try {
          const outcome = await core.deny(actor, id, reason);
          return await viewFor(context, outcome.request, actor, { text: commandReply(outcome), kind: 'good' });
        } catch (error) {
          if (isJitError(error, 'INPUT.BAD_REASON')) return approvalCard(await cardView(context, current), { denyForm: { reason, error: error.message } });
          throw error;
        }
      }
      case 'cancel':
      case 'release':
        return await viewAfter(context, id, actor, { text: commandReply(await core[action.verb](actor, id)), kind: 'good' });
      case 'extend':
        if (current.requester !== actor.person) throw new JitError('POLICY.NOT_OWNER', `Only ${current.requester} can extend ${id}.`);
        if (current.status !== 'active') throw new JitError('REQUEST.ALREADY_DECIDED', `${id} ${describe(current)}; it cannot be extended now.`);
        return extendFormCard(id);
      case 'extendSubmit': {
        const duration = (action.duration ?? '').trim();
        const reason = (action.reason ?? '').trim();
        try {
          const outcome = await core.extend(actor, id, duration, reason);
          return await viewFor(context, outcome.request, actor, { text: formReplyLines(outcome).join('\n'), kind: 'good' });
        } catch (error) {
          // Mistakes in the form come back in the form; anything else is shown on the request.
          if (isJitError(error) && (error.code.startsWith('INPUT.') || error.code === 'POLICY.DURATION_OUT_OF_RANGE')) {
            return extendFormCard(id, { duration, reason, error: error.message });
          }
          throw error;
        }
      }
    }
  } catch (error) {
    return viewAfter(context, id, actor, { text: userMessage(context, error, action.verb), kind: 'attention' });
  }
}

async function submitRequest(context: TeamsContext, actor: PersonActor, action: CardAction, effects: boolean): Promise<AdaptiveCard> {
  const { core } = context;
  const values = { resource: action.resource?.trim() ?? '', duration: action.duration?.trim() ?? '', reason: action.reason?.trim() ?? '' };
  const choices = core.resourceChoices(actor.person);
  if (!effects) return replyCard(['Already done: this form was received twice. Type "list" to see your requests.'], true);
  if (!values.resource) return requestFormCard(choices, values, 'Choose a resource.');
  try {
    const outcome = await core.requestAccess({ actor, resource: values.resource, duration: values.duration || undefined, reason: values.reason });
    return replyCard(formReplyLines(outcome), true);
  } catch (error) {
    return requestFormCard(choices, values, userMessage(context, error, 'request'));
  }
}

/** The current state after an action, seen by this person, with a message for them. */
async function viewAfter(context: TeamsContext, id: string, actor: PersonActor, notice: ViewerNotice): Promise<AdaptiveCard> {
  const request = await context.core.findRequest(id);
  if (!request) return replyCard([notice.text], notice.kind !== 'attention');
  return viewFor(context, request, actor, notice);
}

/**
 * A request as one person sees it: the approval card with the buttons that apply to them (Approve and
 * Deny for an approver the request still waits on; Cancel, Extend, Release for the requester).
 */
export async function viewFor(context: TeamsContext, request: AccessRequest, actor: PersonActor, notice?: ViewerNotice): Promise<AdaptiveCard> {
  const { card: view, actions } = await context.core.requestForViewer(request, actor.person);
  return approvalCard(view, { actions, ...(notice ? { notice } : {}), refreshUserIds: await refreshUserIds(context, view) });
}

export async function cardView(context: TeamsContext, request: AccessRequest) {
  return context.core.cardOf(request);
}

function decidable(request: AccessRequest): boolean {
  return request.status === 'pending' || (request.status === 'active' && request.pendingExtension !== undefined);
}

function describe(request: AccessRequest): string {
  return `is ${describeStatus(request)}`;
}
