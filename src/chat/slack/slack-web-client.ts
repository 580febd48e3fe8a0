import { LogLevel, webApi, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../core/ports/logger.js';
import { NotifyError } from '../../core/ports/notifier.js';

export type WebClient = webApi.WebClient;
export type WebClientOptions = webApi.WebClientOptions;

/** Every Slack API call and response_url POST gives up after this long; the job that made it retries. */
export const SLACK_CALL_TIMEOUT_MS = 5_000;

/**
 * `fetch` with a deadline: Bolt's `respond()` and the WebClient both use it, so no call to Slack
 * can hang a listener or a notify job.
 */
export const fetchWithTimeout: typeof fetch = (input, init) =>
  fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(SLACK_CALL_TIMEOUT_MS) });

/**
 * Options for every WebClient jitbot makes. The defaults of @slack/web-api would retry 10 times over
 * about 30 minutes, with no HTTP timeout, and pause the whole client on a 429: a rate-limited DM
 * would then hold up every other call. Here a call fails fast and the notify job retries it, honouring
 * Retry-After through {@link toNotifyError}.
 */
export function webClientOptions(apiUrl: string | undefined, log: Logger): WebClientOptions {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    timeout: SLACK_CALL_TIMEOUT_MS,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    maxRequestConcurrency: 20,
    fetch: fetchWithTimeout as unknown as webApi.WebClientOptions['fetch'],
    logger: boltLogger(log, 'slack-web-api'),
  };
}

export function createWebClient(botToken: string, apiUrl: string | undefined, log: Logger): WebClient {
  return new webApi.WebClient(botToken, webClientOptions(apiUrl, log));
}

/**
 * Bolt's and the WebClient's logger, on jitbot's. Debug lines are dropped: at debug level the
 * WebClient prints request bodies, and a DM body can carry an issued secret.
 */
export function boltLogger(log: Logger, name: string): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  const text = (parts: unknown[]): string => parts.map((p) => (p instanceof Error ? p.message : typeof p === 'string' ? p : JSON.stringify(p))).join(' ').slice(0, 2000);
  return {
    debug: () => {},
    info: (...parts: unknown[]) => log.info({ component: name }, text(parts)),
    warn: (...parts: unknown[]) => log.warn({ component: name }, text(parts)),
    error: (...parts: unknown[]) => log.error({ component: name }, text(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => {},
  };
}

// Errors retrying cannot fix: the target does not exist or never will accept this message.
const PERMANENT = new Set([
  'channel_not_found',
  'is_archived',
  'user_not_found',
  'user_disabled',
  'cannot_dm_bot',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'msg_too_long',
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_arguments',
  'no_text',
  'too_many_attachments',
  'restricted_action',
]);

/** The Slack error code of a WebClient failure (`channel_not_found`, `ratelimited`, `http_500`, `timeout`…). */
export function slackErrorCode(error: unknown): string {
  if (error instanceof webApi.WebAPIPlatformError) return String(error.data.error);
  if (error instanceof webApi.WebAPIRateLimitedError) return 'ratelimited';
  if (error instanceof webApi.WebAPIHTTPError) return `http_${error.statusCode}`;
  if (error instanceof webApi.WebAPIRequestError) return /abort|timeout/i.test(error.original?.name + error.original?.message) ? 'timeout' : 'request_failed';
  return error instanceof Error && /retry header/i.test(error.message) ? 'ratelimited_bad_retry_after' : 'unknown';
}

/**
 * Maps a WebClient failure to the notifier port's error: 429 → retryable with Retry-After as the
 * delay; 5xx, timeouts and network errors → retryable with backoff; errors retrying cannot fix → not
 * retryable. The message names the Slack error code and never carries the request body.
 */
export function toNotifyError(error: unknown, what: string): NotifyError {
  const code = slackErrorCode(error);
  if (error instanceof webApi.WebAPIRateLimitedError) {
    return new NotifyError(`Slack rate-limited ${what}; retry after ${error.retryAfter}s`, true, {
      cause: error,
      retryAfterMs: Math.max(1, error.retryAfter) * 1000,
    });
  }
  if (PERMANENT.has(code)) {
    return new NotifyError(`Slack refused ${what}: ${code}`, false, { cause: error });
  }
  return new NotifyError(`Slack failed ${what}: ${code}`, true, { cause: error });
}

/** Auth failures that mean the bot token itself is wrong: the process should not pretend to run. */
export const TOKEN_ERRORS = new Set(['invalid_auth', 'not_authed', 'account_inactive', 'token_revoked', 'token_expired', 'not_allowed_token_type']);
