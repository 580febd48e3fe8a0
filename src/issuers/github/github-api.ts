import { readFile } from 'node:fs/promises';
import { createAppAuth } from '@octokit/auth-app';
import { Octokit } from '@octokit/core';
import { IssuerError } from '../../core/ports/issuer.js';
import { statusOf, toIssuerError } from './github-errors.js';
import type { GitHubAppAuth, GitHubSettings } from './github-schemas.js';

/** An answer from the REST API. */
export interface GitHubResponse<T = unknown> {
  status: number;
  data: T;
  headers: Record<string, string | number | undefined>;
}

/** Renew a cached installation token when less than this is left of its life. */
const RENEW_BEFORE_MS = 5 * 60_000;
const API_VERSION = '2022-11-28';

interface CachedToken {
  token: string;
  expiresAt: number;
}

/** Knobs for tests. */
export interface GitHubApiOptions {
  now?: () => number;
}

/**
 * jitbot's way into the GitHub REST API (github.com or Enterprise Server at `baseUrl`), through
 * @octokit/core. Authenticates with the configured token, or as a GitHub App: an app JWT buys an
 * installation token, which is cached and renewed five minutes before it expires (or at once when
 * GitHub says it is no longer valid).
 */
export class GitHubApi {
  readonly #octokit: Octokit;
  readonly #settings: GitHubSettings;
  readonly #now: () => number;
  readonly #installationTokens = new Map<number, CachedToken>();
  readonly #pendingTokens = new Map<number, Promise<CachedToken>>();
  readonly #installationByOwner = new Map<string, Promise<number>>();
  #appAuth: ReturnType<typeof createAppAuth> | undefined;

  constructor(settings: GitHubSettings, options: GitHubApiOptions = {}) {
    this.#settings = settings;
    this.#now = options.now ?? Date.now;
    const timeoutMs = settings.timeoutMs;
    this.#octokit = new Octokit({
      baseUrl: settings.baseUrl,
      userAgent: 'jitbot',
      request: {
        // Every call gets its own deadline: a GitHub that accepts the connection and never answers
        // must not hold a job forever.
        fetch: (url: string, init: RequestInit) => fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' }),
      },
    });
  }

  /** Whether jitbot authenticates as a GitHub App (needed for `mode: app-token`). */
  get isApp(): boolean {
    return this.#settings.app !== undefined;
  }

  /** A request as jitbot's configured identity (the token, or the App's installation for `owner`). */
  async request<T = unknown>(route: string, params: Record<string, unknown>, owner: string, doing: string): Promise<GitHubResponse<T>> {
    if (this.#settings.token !== undefined) return this.#send<T>(route, params, `Bearer ${this.#settings.token}`, doing);
    const installationId = await this.installationFor(owner, params, doing);
    const first = await this.#installationToken(installationId, doing);
    try {
      return await this.#raw<T>(route, params, `Bearer ${first.token}`);
    } catch (error) {
      // Revoked or expired early: forget it, buy a new one and try once more.
      if (statusOf(error) !== 401) throw toIssuerError(error, doing);
      this.#installationTokens.delete(installationId);
      const second = await this.#installationToken(installationId, doing);
      return this.#send<T>(route, params, `Bearer ${second.token}`, doing);
    }
  }

  /** A request authenticated with the App's JWT (installation lookups, minting tokens). */
  async asApp<T = unknown>(route: string, params: Record<string, unknown>, doing: string): Promise<GitHubResponse<T>> {
    return this.#send<T>(route, params, `Bearer ${await this.#appJwt(doing)}`, doing);
  }

  /** A request authenticated with a given token (an installation token jitbot handed out). Raw errors. */
  async withToken<T = unknown>(token: string, route: string, params: Record<string, unknown>): Promise<GitHubResponse<T>> {
    return this.#raw<T>(route, params, `Bearer ${token}`);
  }

  /** The installation of jitbot's App that covers `owner`: from settings, or asked once and remembered. */
  async installationFor(owner: string, params: Record<string, unknown>, doing: string): Promise<number> {
    const app = this.#requireApp();
    if (app.installationId !== undefined) return app.installationId;
    const key = owner.toLowerCase();
    const known = this.#installationByOwner.get(key);
    if (known !== undefined) return known;
    const repo = typeof params.repo === 'string' ? params.repo : undefined;
    const finding = (async () => {
      const found = repo
        ? await this.asApp<{ id: number }>('GET /repos/{owner}/{repo}/installation', { owner, repo }, `finding jitbot's App installation on ${owner}/${repo} (${doing})`)
        : await this.asApp<{ id: number }>('GET /orgs/{org}/installation', { org: owner }, `finding jitbot's App installation on ${owner} (${doing})`);
      return found.data.id;
    })();
    // One lookup per owner, shared by concurrent callers; a failed one is asked again next time.
    this.#installationByOwner.set(key, finding);
    finding.catch(() => this.#installationByOwner.delete(key));
    return finding;
  }

  /** The App's credentials, or a clear refusal when the issuer is configured with a token. */
  #requireApp(): GitHubAppAuth {
    const app = this.#settings.app;
    if (!app) throw new IssuerError('this needs jitbot to authenticate as a GitHub App (settings.app), not with a token', false);
    return app;
  }

  async #appJwt(doing: string): Promise<string> {
    const app = this.#requireApp();
    if (!this.#appAuth) {
      let privateKey = app.privateKey;
      if (privateKey === undefined) {
        try {
          privateKey = await readFile(app.privateKeyFile!, 'utf8');
        } catch (error) {
          throw new IssuerError(`cannot read the GitHub App private key file ${app.privateKeyFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, false, { cause: error });
        }
      }
      this.#appAuth = createAppAuth({ appId: app.appId, privateKey });
    }
    try {
      const auth = await this.#appAuth({ type: 'app' });
      return auth.token;
    } catch (error) {
      this.#appAuth = undefined;
      throw new IssuerError(`cannot sign the GitHub App JWT while ${doing}: ${(error as Error).message}`, false, { cause: error });
    }
  }

  /** A cached installation token with at least five minutes left, or a new one (one purchase at a time). */
  async #installationToken(installationId: number, doing: string): Promise<CachedToken> {
    const cached = this.#installationTokens.get(installationId);
    if (cached && cached.expiresAt - this.#now() > RENEW_BEFORE_MS) return cached;
    const pending = this.#pendingTokens.get(installationId);
    if (pending) return pending;
    const buying = (async () => {
      const response = await this.asApp<{ token: string; expires_at: string }>(
        'POST /app/installations/{installation_id}/access_tokens',
        { installation_id: installationId },
        `getting an installation token for jitbot's own calls (${doing})`,
      );
      const fresh = { token: response.data.token, expiresAt: Date.parse(response.data.expires_at) };
      this.#installationTokens.set(installationId, fresh);
      return fresh;
    })();
    this.#pendingTokens.set(installationId, buying);
    try {
      return await buying;
    } finally {
      this.#pendingTokens.delete(installationId);
    }
  }

  async #send<T>(route: string, params: Record<string, unknown>, authorization: string, doing: string): Promise<GitHubResponse<T>> {
    try {
      return await this.#raw<T>(route, params, authorization);
    } catch (error) {
      throw toIssuerError(error, doing);
    }
  }

  async #raw<T>(route: string, params: Record<string, unknown>, authorization: string): Promise<GitHubResponse<T>> {
    const response = await this.#octokit.request(route, {
      ...params,
      headers: { authorization, accept: 'application/vnd.github+json', 'x-github-api-version': API_VERSION },
    });
    if (response.status >= 300 && response.status < 400) {
      throw new IssuerError(`GitHub redirected ${route} (${response.status}): point baseUrl at the API itself, or update the moved name`, false);
    }
    return { status: response.status, data: response.data as T, headers: response.headers as Record<string, string | number | undefined> };
  }
}
