import path from 'node:path';
import type { IssueReceipt } from '../../core/domain/access-request.js';
import { IssuerError, StateLockTimeout, type GrantContext, type IssueResult, type Issuer, type IssuerEnvironment, type IssuerFactory, type IssuerState } from '../../core/ports/issuer.js';
import { AppTokenAccess } from './app-token-access.js';
import { CollaboratorAccess } from './collaborator-access.js';
import { GitHubApi } from './github-api.js';
import { APP_TOKEN_MAX_MS, GitHubParamsSchema, GitHubSettingsSchema, type GitHubParams, type GitHubSettings } from './github-schemas.js';
import { TeamAccess } from './team-access.js';

export { GitHubParamsSchema, GitHubSettingsSchema, type GitHubParams, type GitHubSettings } from './github-schemas.js';

/** Knobs for tests and embedding; the factory uses the defaults. */
export interface GitHubIssuerOptions {
  /** Shared state (reference counts, sealed app tokens); default: files under `<dataDir>/github/<name>`. */
  state?: IssuerState;
  now?: () => number;
}

/** The web address that goes with an API base URL (api.github.com → github.com; GHES …/api/v3 → …). */
export function webUrlOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  if (url.hostname === 'api.github.com') return 'https://github.com';
  if (url.hostname.startsWith('api.') && url.hostname.endsWith('.ghe.com')) return `${url.protocol}//${url.hostname.slice(4)}`;
  return `${url.origin}${url.pathname.replace(/\/api\/v3\/?$/, '')}`.replace(/\/+$/, '');
}

/** What keeps a person from being granted a resource of this issuer, said so that they can fix it. */
export function requestProblem(params: GitHubParams, person: { name: string; github?: string | undefined }, durationMs?: number): string | undefined {
  if (params.mode !== 'app-token' && !person.github) {
    return `${person.name} has no GitHub login in the policy: add "github: <login>" under people.${person.name}`;
  }
  if (params.mode === 'app-token' && durationMs !== undefined && durationMs > APP_TOKEN_MAX_MS) {
    return 'a GitHub App installation token lives at most 1 hour: ask for 1h or less';
  }
  return undefined;
}

/** The longest window a resource of this issuer can serve (app tokens: GitHub's one hour), if limited. */
export function maxWindowMs(params: GitHubParams): number | undefined {
  return params.mode === 'app-token' ? APP_TOKEN_MAX_MS : undefined;
}

/**
 * The `github` issuer: repository collaborator roles, team memberships, and App installation tokens.
 * Access the person had before is recorded and restored, never removed; overlapping grants of the
 * same access are counted, so the first to end does not end the others'.
 */
export class GitHubIssuer implements Issuer<GitHubParams> {
  readonly type = 'github';
  readonly #collaborators: CollaboratorAccess;
  readonly #teams: TeamAccess;
  readonly #appTokens: AppTokenAccess;

  constructor(
    readonly name: string,
    settings: GitHubSettings,
    state: IssuerState,
    stateDir: string,
    options: { now?: () => number } = {},
  ) {
    const api = new GitHubApi(settings, options.now ? { now: options.now } : {});
    const web = webUrlOf(settings.baseUrl);
    this.#collaborators = new CollaboratorAccess(api, state, name, web);
    this.#teams = new TeamAccess(api, state, name, web);
    this.#appTokens = new AppTokenAccess(api, state, name, stateDir, options.now);
  }

  async issue(grant: GrantContext<GitHubParams>): Promise<IssueResult> {
    const { params } = grant;
    return this.#guard(() => {
      switch (params.mode) {
        case 'collaborator':
          return this.#collaborators.issue(grant, params, this.#login(grant, params));
        case 'team':
          return this.#teams.issue(grant, params, this.#login(grant, params));
        case 'app-token':
          return this.#appTokens.issue(grant, params);
      }
    });
  }

  /**
   * The window was extended. Roles and memberships have no expiry of their own: nothing changes.
   * An app token must still fit GitHub's hour; a new one is minted (and DM'd) when the one handed
   * out ends before the new window does.
   */
  async extend(grant: GrantContext<GitHubParams>, receipt: IssueReceipt): Promise<IssueResult> {
    const { params } = grant;
    if (params.mode !== 'app-token') return { receipt };
    return this.#guard(() => this.#appTokens.issue(grant, params));
  }

  async revoke(grant: GrantContext<GitHubParams>, receipt: IssueReceipt | undefined): Promise<void> {
    const { params } = grant;
    if (params.mode === 'app-token') return this.#guard(() => this.#appTokens.revoke(grant));
    const login = grant.person.github ?? (typeof receipt?.revokeState.login === 'string' ? receipt.revokeState.login : undefined);
    if (!login) return;
    return this.#guard(() => (params.mode === 'collaborator' ? this.#collaborators.revoke(grant, params, login, receipt) : this.#teams.revoke(grant, params, login, receipt)));
  }

  async verify(grant: GrantContext<GitHubParams>, receipt: IssueReceipt): Promise<boolean> {
    const { params } = grant;
    if (params.mode === 'app-token') return this.#guard(() => this.#appTokens.verify(grant));
    const login = grant.person.github ?? (typeof receipt.revokeState.login === 'string' ? receipt.revokeState.login : undefined);
    if (!login) return false;
    return this.#guard(() => (params.mode === 'collaborator' ? this.#collaborators.verify(grant, params, login) : this.#teams.verify(grant, params, login)));
  }

  #login(grant: GrantContext<GitHubParams>, params: GitHubParams): string {
    const problem = requestProblem(params, grant.person);
    if (problem) throw new IssuerError(problem, false);
    return grant.person.github!;
  }

  /** Storage failures are the issuer's own: a busy lock may pass, anything else may too (disk full, …). */
  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof IssuerError) throw error;
      if (error instanceof StateLockTimeout) throw new IssuerError(`github issuer ${this.name}: another jitbot process is working on the same access; trying again`, true, { cause: error });
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      throw new IssuerError(`github issuer ${this.name}: ${code ? `state storage failed (${code})` : (error as Error)?.message ?? String(error)}`, true, { cause: error });
    }
  }
}

/** Builds a `github` issuer: shared state (reference counts, prior roles) in `env.state`; the app-token sealing key under `<env.dataDir>/github/<name>`. */
export async function createGitHubIssuer(name: string, settings: GitHubSettings, env: IssuerEnvironment, options: GitHubIssuerOptions = {}): Promise<GitHubIssuer> {
  if (path.basename(name) !== name || name === '.' || name === '..') throw new IssuerError(`"${name}" cannot name a github issuer's state directory`, false);
  const stateDir = path.join(env.dataDir, 'github', name);
  const state = options.state ?? env.state;
  if (!state) throw new IssuerError(`github issuer ${name} needs jitbot's shared state (reference counts of overlapping grants)`, false);
  return new GitHubIssuer(name, settings, state, stateDir, options.now ? { now: options.now } : {});
}

/**
 * `github`: repository collaborator permission (`repo` + `permission`), team membership (`org` +
 * `team` + `role`), or an App installation token (`mode: app-token`). Besides the port, it offers
 * `maxWindowMs(params)` and `requestProblem(params, person, durationMs)` for checks before a request.
 */
export const githubIssuerFactory: IssuerFactory<GitHubSettings, GitHubParams> & {
  maxWindowMs: typeof maxWindowMs;
  requestProblem: typeof requestProblem;
} = {
  type: 'github',
  settingsSchema: GitHubSettingsSchema,
  paramsSchema: GitHubParamsSchema,
  create: (name, settings, env) => createGitHubIssuer(name, settings, env),
  maxWindowMs,
  requestProblem,
};
