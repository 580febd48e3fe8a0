import type { CardView } from '../../core/messages/views.js';
import { MAX_REFRESH_USERS } from './cards/approval-card.js';
import type { TeamsContext } from './teams-context.js';

/**
 * The users whose Teams clients fetch their own view of a card (`refresh.userIds`): the request's
 * eligible approvers, by the Bot Framework id (`29:…`) jitbot has seen them with, else by their
 * Entra object id as a Teams user MRI (`8:orgid:<id>`). Empty once the card has nothing to decide.
 */
export async function refreshUserIds(context: Pick<TeamsContext, 'core' | 'directory'>, view: CardView): Promise<string[]> {
  if (view.actions.length === 0) return [];
  const ids: string[] = [];
  for (const name of view.eligibleApprovers) {
    const aad = context.core.policy.person(name)?.teams;
    if (!aad) continue;
    const address = await context.directory.user(aad).catch(() => undefined);
    ids.push(address?.userId ?? `8:orgid:${aad.toLowerCase()}`);
    if (ids.length >= MAX_REFRESH_USERS) break;
  }
  return ids;
}
