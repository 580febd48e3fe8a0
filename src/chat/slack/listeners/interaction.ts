import type { Actor } from '../../../core/domain/access-request.js';
import { isJitError } from '../../../core/domain/errors.js';
import { failureText as coreFailureText } from '../../../core/messages/failure-text.js';
import type { Logger } from '../../../core/ports/logger.js';
import type { JitCore } from '../../../core/services/create-core.js';
import type { HomePublisher } from '../app-home.js';
import { replyText } from '../blocks/render-messages.js';
import { renderNoticeModal, type ModalView } from '../blocks/render-views.js';
import { isSlackResponseUrl } from '../response-url.js';
import { fetchWithTimeout, slackErrorCode, type WebClient } from '../slack-web-client.js';

/** What every Slack listener needs. */
export interface SlackDeps {
  core: JitCore;
  client: WebClient;
  home: HomePublisher;
  log: Logger;
  /** SLACK_API_URL: its origin is a Slack host too, for response_urls (GovSlack, private endpoints, tests). */
  apiUrl?: string;
}

export type PersonActor = Actor & { kind: 'person' };

/** Where a private answer to an interaction goes. */
export interface ReplyTarget {
  slackUserId: string;
  /** The interaction's response_url: an ephemeral message to the clicker, where they clicked. */
  responseUrl?: string;
  /** A still-fresh trigger: a click on the Home tab (no response_url) is answered with a small modal. */
  triggerId?: string;
}

/** The person behind a Slack user id, or the sentence that tells them how to get added. */
export function identify(core: JitCore, slackUserId: string): { actor: PersonActor } | { refusal: string } {
  try {
    return { actor: core.identify('slack', slackUserId) };
  } catch (error) {
    return { refusal: isJitError(error) ? error.message : 'jitbot could not identify you.' };
  }
}

/** A JitError's user-safe message, or the core's generic sentence with a reference that is also logged. */
export function failureText(error: unknown, log: Logger): string {
  return coreFailureText(error, log, 'slack interaction');
}

/**
 * Answers the person privately: ephemeral through the response_url when there is one, else (a Home
 * tab click) in a small modal, else by DM. Never throws; a failed answer is logged.
 */
export async function reply(deps: SlackDeps, target: ReplyTarget, text: string): Promise<void> {
  const safe = replyText(text);
  if (target.responseUrl && !isSlackResponseUrl(target.responseUrl, deps.apiUrl)) {
    // Never POSTed to: the answer goes by DM instead. The host is logged, never the whole URL.
    deps.log.warn({ host: hostOf(target.responseUrl) }, 'response_url is not on a Slack host; answering by DM instead');
  } else if (target.responseUrl) {
    try {
      const response = await fetchWithTimeout(target.responseUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: safe }),
      });
      if (response.ok) return;
      deps.log.warn({ status: response.status }, 'response_url refused the reply; sending it by DM');
    } catch (error) {
      deps.log.warn({ error: (error as Error).message }, 'response_url unreachable; sending the reply by DM');
    }
  } else if (target.triggerId) {
    try {
      await deps.client.views.open({ trigger_id: target.triggerId, view: renderNoticeModal(text) });
      return;
    } catch (error) {
      deps.log.warn({ error: slackErrorCode(error) }, 'could not open the answer modal; sending it by DM');
    }
  }
  try {
    const opened = await deps.client.conversations.open({ users: target.slackUserId });
    if (opened.channel?.id) await deps.client.chat.postMessage({ channel: opened.channel.id, text: safe });
  } catch (error) {
    deps.log.warn({ user: target.slackUserId, error: slackErrorCode(error) }, 'could not answer a Slack interaction');
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host.slice(0, 100);
  } catch {
    return '(not a URL)';
  }
}

/** The fields of an interaction payload jitbot reads (all optional: payloads are parsed, not trusted). */
export interface InteractionBody {
  user?: { id?: string };
  trigger_id?: string;
  response_url?: string;
  container?: { type?: string };
  view?: { id?: string; hash?: string; type?: string; private_metadata?: string };
}

export function replyTargetOf(body: InteractionBody): ReplyTarget {
  return {
    slackUserId: body.user?.id ?? '',
    ...(body.response_url ? { responseUrl: body.response_url } : {}),
    ...(body.trigger_id ? { triggerId: body.trigger_id } : {}),
  };
}

/** Whether a click came from the App Home tab. */
export function fromHome(body: InteractionBody): boolean {
  return body.view?.type === 'home';
}

/** Where a modal opened from a click sends its answer, and whether to refresh the Home tab after. */
export function formContextOf(target: ReplyTarget, body: InteractionBody): { responseUrl?: string; fromHome?: true } {
  return { ...(target.responseUrl ? { responseUrl: target.responseUrl } : {}), ...(fromHome(body) ? { fromHome: true } : {}) };
}

/**
 * Opens a form from a button click (views.open, inside the trigger's 3 seconds). Without a trigger, or
 * when Slack will not open it in time, the clicker is told the command that does the same.
 */
export async function openFormOrSayCommand(deps: SlackDeps, target: ReplyTarget, view: ModalView, command: string, what: string): Promise<void> {
  const { triggerId, ...rest } = target;
  if (!triggerId) return reply(deps, rest, `Use ${command}.`);
  try {
    await deps.client.views.open({ trigger_id: triggerId, view });
  } catch (error) {
    if (slackErrorCode(error) === 'unknown') throw error;
    deps.log.warn({ error: slackErrorCode(error) }, `could not open the ${what} form`);
    return reply(deps, { ...target, triggerId: '' }, `Slack did not open the form in time; type ${command} instead.`);
  }
}
