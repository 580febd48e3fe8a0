import { createPrivateKey, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';

/** What GitHub said to a deployment review: done, refused for good, or worth another try. */
export type ReviewOutcome =
  | { kind: 'done'; status: number }
  /** GitHub will not take it (no longer pending, run gone, not allowed): retrying cannot help. */
  | { kind: 'refused'; status: number; message: string }
  | { kind: 'retry'; status: number; message: string; retryAfterMs?: number };

export interface GitHubAppSettings {
  appId: string;
  privateKey: string;
  /** REST API base, e.g. https://api.github.com or https://HOST/api/v3. */
  apiUrl: string;
}

const TokenSchema = z.object({ token: z.string().min(1), expires_at: z.string() }).loose();
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * jitbot as a GitHub App, for exactly what deployment protection rules need: an installation token
 * narrowed to one repository, and the review call on a run's `deployment_callback_url`. The App JWT is
 * RS256 with `iat` 60 s in the past and a lifetime under GitHub's 10-minute limit.
 */
export class GitHubAppClient {
  private readonly key: KeyObject;
  private readonly tokens = new Map<string, { token: string; expiresAt: number }>();

  constructor(private readonly settings: GitHubAppSettings) {
    this.key = createPrivateKey(settings.privateKey);
  }

  /** Whether a callback URL is this GitHub's review endpoint for a run, so the installation token is sent nowhere else. */
  isReviewUrl(url: string): boolean {
    const base = this.settings.apiUrl.replace(/\/+$/, '');
    if (!url.startsWith(`${base}/repos/`)) return false;
    return /^\/repos\/[^/]+\/[^/]+\/actions\/runs\/\d+\/deployment_protection_rule$/.test(url.slice(base.length));
  }

  /**
   * Approves or rejects the deployment waiting on this App's rule: `POST {deployment_callback_url}`
   * with `{environment_name, state, comment}` (204 when taken).
   */
  async review(
    target: { callbackUrl: string; installationId: number; repositoryId: string | undefined },
    body: { environment_name: string; state: 'approved' | 'rejected'; comment: string },
  ): Promise<ReviewOutcome> {
    if (!this.isReviewUrl(target.callbackUrl)) return { kind: 'refused', status: 0, message: 'the callback URL is not a review endpoint of the configured GitHub' };
    let token: string;
    try {
      token = await this.installationToken(target.installationId, target.repositoryId);
    } catch (error) {
      return error instanceof AppError ? error.outcome : { kind: 'retry', status: 0, message: (error as Error).message };
    }
    let response: Response;
    try {
      response = await fetch(target.callbackUrl, {
        method: 'POST',
        headers: { ...this.headers(`Bearer ${token}`), 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      return { kind: 'retry', status: 0, message: `GitHub unreachable: ${(error as Error).message}` };
    }
    const text = await response.text().catch(() => '');
    if (response.ok) return { kind: 'done', status: response.status };
    if (response.status === 401) this.tokens.delete(tokenKey(target.installationId, target.repositoryId));
    return classify(response, text);
  }

  /** An installation token for one repository, reused until five minutes before it expires (they last an hour). */
  async installationToken(installationId: number, repositoryId: string | undefined): Promise<string> {
    const key = tokenKey(installationId, repositoryId);
    const cached = this.tokens.get(key);
    if (cached && cached.expiresAt - Date.now() > 5 * 60_000) return cached.token;
    let response: Response;
    try {
      response = await fetch(`${this.settings.apiUrl.replace(/\/+$/, '')}/app/installations/${installationId}/access_tokens`, {
        method: 'POST',
        headers: { ...this.headers(`Bearer ${await this.appJwt()}`), 'content-type': 'application/json' },
        body: JSON.stringify(repositoryId && /^\d+$/.test(repositoryId) ? { repository_ids: [Number(repositoryId)] } : {}),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new AppError({ kind: 'retry', status: 0, message: `GitHub unreachable: ${(error as Error).message}` });
    }
    const text = await response.text().catch(() => '');
    if (response.status !== 201 && response.status !== 200) {
      const outcome = classify(response, text);
      throw new AppError({ ...outcome, message: `installation token: ${outcome.kind === 'done' ? '' : outcome.message}` } as ReviewOutcome);
    }
    const parsed = TokenSchema.safeParse(safeJson(text));
    if (!parsed.success) throw new AppError({ kind: 'retry', status: response.status, message: 'installation token: unexpected answer' });
    const expiresAt = Date.parse(parsed.data.expires_at);
    this.tokens.set(key, { token: parsed.data.token, expiresAt: Number.isFinite(expiresAt) ? expiresAt : Date.now() + 55 * 60_000 });
    return parsed.data.token;
  }

  private async appJwt(): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setIssuedAt(now - 60)
      .setExpirationTime(now + 540)
      .setIssuer(this.settings.appId)
      .sign(this.key);
  }

  private headers(authorization: string): Record<string, string> {
    return { authorization, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'jitbot' };
  }
}

class AppError extends Error {
  constructor(readonly outcome: ReviewOutcome) {
    super(outcome.kind === 'done' ? 'done' : outcome.message);
  }
}

function tokenKey(installationId: number, repositoryId: string | undefined): string {
  return `${installationId}:${repositoryId ?? '*'}`;
}

/** 5xx, 429 and rate limits are worth retrying; a 401 too (a token that just expired); other 4xx are final. */
function classify(response: Response, text: string): ReviewOutcome {
  const message = `GitHub answered ${response.status}: ${messageOf(text)}`;
  const retryAfter = Number(response.headers.get('retry-after'));
  const limited = response.status === 429 || (response.status === 403 && response.headers.get('x-ratelimit-remaining') === '0');
  if (response.status >= 500 || limited || response.status === 401) {
    return { kind: 'retry', status: response.status, message, ...(Number.isFinite(retryAfter) && retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) };
  }
  return { kind: 'refused', status: response.status, message };
}

function messageOf(text: string): string {
  const json = safeJson(text) as { message?: unknown } | undefined;
  const message = typeof json?.message === 'string' ? json.message : text;
  return message.slice(0, 200) || '(no message)';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
