import { setTimeout as sleep } from 'node:timers/promises';
import type { IssueReceipt } from '../../core/domain/access-request.js';
import { IssuerError, type GrantContext, type IssuedSecret, type IssueResult, type Issuer, type IssuerEnvironment, type IssuerFactory } from '../../core/ports/issuer.js';
import { messageId, webhookHeaders } from './standard-webhooks.js';
import { WebhookParamsSchema, WebhookSettingsSchema, type WebhookParams, type WebhookSettings } from './webhook-schemas.js';

export { WebhookParamsSchema, WebhookSettingsSchema, type WebhookParams, type WebhookSettings } from './webhook-schemas.js';

/** The events jitbot sends. */
export type WebhookEventType = 'grant.activate' | 'grant.deactivate' | 'grant.extend';

/** What a receiver may answer in a 2xx body (all optional). */
interface ReceiverAnswer {
  status?: unknown;
  statusUrl?: unknown;
  message?: unknown;
  /** Non-secret facts for the requester (shown in their DM and kept in the receipt). */
  details?: unknown;
  /** A credential for the requester's eyes only (their DM); never stored. */
  secret?: unknown;
}

const DONE = new Set(['succeeded', 'success', 'done', 'active', 'revoked', 'completed']);
const MAX_DETAILS = 20;
const MAX_TEXT = 500;

export interface WebhookIssuerOptions {
  now?: () => number;
}

/**
 * The `webhook` issuer: POSTs `grant.activate` / `grant.deactivate` events to the receiver, signed
 * as Standard Webhooks sign them. 2xx is done; 202 with a status URL is polled until done; 408, 429,
 * 5xx and no answer are retried (by the job) with the same `webhook-id`, so the receiver can
 * deduplicate; any other 4xx is final.
 */
export class WebhookIssuer implements Issuer<WebhookParams> {
  readonly type = 'webhook';
  readonly #settings: WebhookSettings;
  readonly #now: () => number;

  constructor(
    readonly name: string,
    settings: WebhookSettings,
    options: WebhookIssuerOptions = {},
  ) {
    this.#settings = settings;
    this.#now = options.now ?? Date.now;
  }

  async issue(grant: GrantContext<WebhookParams>): Promise<IssueResult> {
    return this.#deliver('grant.activate', grant, this.#target(grant));
  }

  async extend(grant: GrantContext<WebhookParams>, _receipt?: IssueReceipt): Promise<IssueResult> {
    return this.#deliver('grant.extend', grant, this.#target(grant));
  }

  async revoke(grant: GrantContext<WebhookParams>, _receipt?: IssueReceipt): Promise<void> {
    await this.#deliver('grant.deactivate', grant, this.#target(grant));
  }

  /** The endpoint, its secrets, and the params to pass on for this grant. */
  #target(grant: GrantContext<WebhookParams>): { url: string; secrets: string[]; params: WebhookParams } {
    const { params } = grant;
    const url = params.url ?? this.#settings.url;
    const secret = params.secret ?? this.#settings.secret;
    if (!url || !secret) throw new IssuerError(`webhook issuer ${this.name} has no ${!url ? 'url' : 'secret'} for ${grant.resource}: set it in the issuer's settings or the resource's params`, false);
    return { url, secrets: Array.isArray(secret) ? secret : [secret], params };
  }

  #event(type: WebhookEventType, grant: GrantContext<WebhookParams>, params: WebhookParams): string {
    const { name, ...identities } = grant.person;
    // A deactivation says when the access really ended: early, when it was revoked or released.
    const ended = type === 'grant.deactivate' ? grant.ended : undefined;
    const end = ended ? Math.min(ended.at, grant.window.end) : grant.window.end;
    return JSON.stringify({
      type,
      timestamp: new Date(this.#now()).toISOString(),
      data: {
        grant: {
          id: grant.grantId,
          resource: grant.resource,
          params: params.data ?? {},
          window: { start: new Date(grant.window.start).toISOString(), end: new Date(end).toISOString() },
          ...(ended ? { ended: { at: new Date(end).toISOString(), reason: ended.reason } } : {}),
          reason: grant.reason,
          approvers: grant.approvers,
        },
        person: { name, identities },
        issuer: this.name,
      },
    });
  }

  async #deliver(type: WebhookEventType, grant: GrantContext<WebhookParams>, target: { url: string; secrets: string[]; params: WebhookParams }): Promise<IssueResult> {
    // One id per event, the same on every attempt and across secret rotations: an extension is a new
    // event (its new end names it).
    const event = [this.name, grant.grantId, type, target.url, grant.resource, grant.person.name, ...(type === 'grant.extend' ? [String(grant.window.end)] : [])];
    const id = messageId(event);
    const body = this.#event(type, grant, target.params);
    const endpoint = new URL(target.url);
    const where = `${endpoint.origin}${endpoint.pathname}`;
    const doing = `sending ${type} for ${grant.grantId} to ${where}`;
    const response = await this.#send(target.url, 'POST', target.secrets, id, body, doing);
    let answer = await readAnswer(response);
    if (response.status === 202) {
      const location = response.headers.get('location') ?? (typeof answer.statusUrl === 'string' ? answer.statusUrl : undefined);
      if (location) answer = await this.#poll(new URL(location, target.url).toString(), target.secrets, id, doing, retryAfterMs(response));
    }
    const details: Record<string, string> = { endpoint: where, 'webhook id': id };
    if (answer.details && typeof answer.details === 'object' && !Array.isArray(answer.details)) {
      for (const [k, v] of Object.entries(answer.details).slice(0, MAX_DETAILS)) {
        if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') details[k.slice(0, 60)] = String(v).slice(0, MAX_TEXT);
      }
    }
    const secret = receiverSecret(answer.secret);
    const receipt: IssueReceipt = {
      summary: type === 'grant.deactivate' ? `${endpoint.host} deactivated the access` : `${endpoint.host} activated the access`,
      details,
      revokeState: { webhookId: id },
    };
    return secret ? { receipt, secret } : { receipt };
  }

  /** Asks the status URL until the receiver says done or failed; still pending at the deadline is retryable. */
  async #poll(url: string, secrets: string[], id: string, doing: string, firstWaitMs: number | undefined): Promise<ReceiverAnswer> {
    const deadline = Date.now() + this.#settings.pollTimeoutMs;
    let wait = firstWaitMs ?? this.#settings.pollIntervalMs;
    let last = 'no answer yet';
    for (;;) {
      if (Date.now() + wait > deadline) break;
      await sleep(wait);
      wait = this.#settings.pollIntervalMs;
      let response: Response;
      try {
        response = await this.#send(url, 'GET', secrets, id, '', `${doing} (asking its status)`);
      } catch (error) {
        if (error instanceof IssuerError && !error.retryable) throw error;
        last = (error as Error).message;
        continue;
      }
      const answer = await readAnswer(response);
      const status = typeof answer.status === 'string' ? answer.status.toLowerCase() : '';
      if (response.status === 200 && DONE.has(status)) return answer;
      if (response.status === 200 && status === 'failed') {
        throw new IssuerError(`the receiver reports that ${doing} failed${typeof answer.message === 'string' ? `: ${answer.message.slice(0, MAX_TEXT)}` : ''}`, false);
      }
      wait = retryAfterMs(response) ?? wait;
      last = response.status === 200 ? `status "${status || 'unknown'}"` : `HTTP ${response.status}`;
    }
    throw new IssuerError(`${doing}: still not done after ${Math.round(this.#settings.pollTimeoutMs / 1000)} s (${last}); sending it again`, true);
  }

  /** One signed request; the answer's status decides: 2xx returned, the rest thrown as IssuerError. */
  async #send(url: string, method: 'POST' | 'GET', secrets: string[], id: string, body: string, doing: string): Promise<Response> {
    const timestamp = Math.floor(this.#now() / 1000);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          ...(method === 'POST' ? { 'content-type': 'application/json' } : {}),
          'user-agent': 'jitbot',
          ...webhookHeaders(secrets, id, timestamp, body),
        },
        ...(method === 'POST' ? { body } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.#settings.timeoutMs),
      });
    } catch (error) {
      const reason = (error as Error).name === 'TimeoutError' ? `no answer within ${this.#settings.timeoutMs} ms` : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
      throw new IssuerError(`${doing}: ${reason}; retrying with the same webhook-id`, true, { cause: error });
    }
    const status = response.status;
    if (status >= 200 && status < 300) return response;
    const text = (await response.text().catch(() => '')).slice(0, 200);
    const said = text ? `: ${text}` : '';
    if (status >= 300 && status < 400) {
      throw new IssuerError(`${doing}: the receiver redirected (${status}); jitbot does not follow redirects — set the new URL`, false);
    }
    if (status === 408 || status === 429 || status >= 500) {
      const wait = retryAfterMs(response);
      throw new IssuerError(`${doing}: the receiver answered ${status}${said}; retrying with the same webhook-id`, true, wait !== undefined ? { retryAfterMs: wait } : undefined);
    }
    throw new IssuerError(`${doing}: the receiver refused (${status})${said}`, false);
  }
}

async function readAnswer(response: Response): Promise<ReceiverAnswer> {
  const text = await response.text().catch(() => '');
  if (!text) return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as ReceiverAnswer) : {};
  } catch {
    return {};
  }
}

function retryAfterMs(response: Response): number | undefined {
  const value = response.headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function receiverSecret(value: unknown): IssuedSecret | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { label, value: secret } = value as { label?: unknown; value?: unknown };
  if (typeof secret !== 'string' || secret.length === 0) return undefined;
  return { label: typeof label === 'string' ? label.slice(0, 60) : 'credential', value: secret };
}

export function createWebhookIssuer(name: string, settings: WebhookSettings, options: WebhookIssuerOptions = {}): WebhookIssuer {
  return new WebhookIssuer(name, settings, options);
}

/** `webhook`: signed `grant.activate` / `grant.deactivate` (and `grant.extend`) events to a receiver. */
export const webhookIssuerFactory: IssuerFactory<WebhookSettings, WebhookParams> = {
  type: 'webhook',
  settingsSchema: WebhookSettingsSchema,
  paramsSchema: WebhookParamsSchema,
  create: async (name: string, settings: WebhookSettings, _env: IssuerEnvironment) => createWebhookIssuer(name, settings),
};
