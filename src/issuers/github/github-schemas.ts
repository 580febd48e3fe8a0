import { z } from 'zod';

/**
 * Authentication as a GitHub App: the app's JWT (RS256, signed with its private key) buys installation
 * tokens, which jitbot caches and renews before they expire.
 */
export const GitHubAppAuthSchema = z
  .object({
    /** The App's id (a number) or its client id (`Iv23…`): the JWT's `iss`. */
    appId: z.union([z.number().int().positive(), z.string().min(1)]),
    /** The App's private key (PEM), e.g. `${GITHUB_APP_KEY}`. */
    privateKey: z.string().min(1).optional(),
    /** A file holding the App's private key (PEM). */
    privateKeyFile: z.string().min(1).optional(),
    /** The installation to act as; otherwise found per owner (`GET /repos/{o}/{r}/installation`, `GET /orgs/{org}/installation`). */
    installationId: z.number().int().positive().optional(),
  })
  .strict()
  .refine((app) => (app.privateKey === undefined) !== (app.privateKeyFile === undefined), {
    message: 'give exactly one of privateKey or privateKeyFile',
  });
export type GitHubAppAuth = z.infer<typeof GitHubAppAuthSchema>;

/**
 * Settings of a `github` issuer (its entry under `issuers:` in the policy, minus `type`).
 *
 * ```yaml
 * issuers:
 *   gh:
 *     type: github
 *     baseUrl: https://github.example.com/api/v3   # GitHub Enterprise Server; default https://api.github.com
 *     token: ${GITHUB_TOKEN}                       # or app: { appId, privateKeyFile, installationId? }
 * ```
 */
export const GitHubSettingsSchema = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'baseUrl must be an http(s) URL such as https://api.github.com' })
      .default('https://api.github.com')
      .transform((url) => url.replace(/\/+$/, '')),
    /** A personal access token or other bearer token (fine-grained PAT: Administration and Members write). */
    token: z.string().min(1).optional(),
    app: GitHubAppAuthSchema.optional(),
    /** How long one HTTP call may take (default 10 s). */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  })
  .strict()
  .refine((s) => (s.token === undefined) !== (s.app === undefined), {
    message: 'give exactly one of token or app (GitHub App credentials)',
  });
export type GitHubSettings = z.infer<typeof GitHubSettingsSchema>;

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const FULL_REPO = z
  .string()
  .refine((value) => {
    const [owner, name, extra] = value.split('/');
    return extra === undefined && owner !== undefined && name !== undefined && OWNER.test(owner) && REPO_NAME.test(name);
  }, 'write the repository as owner/name, e.g. acme/app');

/** The built-in repository roles, lowest first. Organisations may also define custom roles. */
export const REPOSITORY_ROLES = ['pull', 'triage', 'push', 'maintain', 'admin'] as const;
export type RepositoryRole = (typeof REPOSITORY_ROLES)[number];

/** `repo` + `permission`: the person becomes a collaborator of the repository with that role. */
export const CollaboratorParamsSchema = z
  .object({
    mode: z.literal('collaborator'),
    repo: FULL_REPO,
    /** `pull`, `triage`, `push` (default), `maintain`, `admin`, or a custom repository role's name. */
    permission: z
      .string()
      .min(1)
      .default('push')
      .transform((p) => {
        const aliases: Record<string, string> = { read: 'pull', write: 'push' };
        return aliases[p] ?? p;
      }),
  })
  .strict();

/** `org` + `team` (+ `role`): the person becomes a member (or maintainer) of the team. */
export const TeamParamsSchema = z
  .object({
    mode: z.literal('team'),
    org: z.string().regex(OWNER, 'not a GitHub organisation name'),
    /** The team's slug (as in its URL). */
    team: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "the team's slug, as in https://github.com/orgs/ORG/teams/SLUG"),
    role: z.enum(['member', 'maintainer']).default('member'),
  })
  .strict();

/**
 * `mode: app-token`: an installation token of jitbot's GitHub App, scoped to `repositories` (one
 * owner) and `permissions`, delivered to the requester and revoked at the end. GitHub caps its life
 * at one hour, so the window may be at most one hour.
 */
export const AppTokenParamsSchema = z
  .object({
    mode: z.literal('app-token'),
    repositories: z.array(FULL_REPO).min(1).max(500),
    permissions: z.record(z.string().regex(/^[a-z_]+$/, 'a permission name such as contents or pull_requests'), z.enum(['read', 'write', 'admin'])),
  })
  .strict()
  .refine((p) => new Set(p.repositories.map((r) => r.split('/')[0]!.toLowerCase())).size === 1, {
    message: 'an installation token covers one owner: list repositories of a single owner',
    path: ['repositories'],
  })
  .refine((p) => Object.keys(p.permissions).length > 0, { message: 'name at least one permission (e.g. contents: read)', path: ['permissions'] });

/** Which mode a params object means when it does not say (`repo` → collaborator, `team` → team). */
function withMode(input: unknown): unknown {
  if (input === null || typeof input !== 'object' || Array.isArray(input) || 'mode' in input) return input;
  if ('team' in input || 'org' in input) return { mode: 'team', ...input };
  if ('repositories' in input) return { mode: 'app-token', ...input };
  return { mode: 'collaborator', ...input };
}

/**
 * A resource's `params` for a `github` issuer:
 * `{repo, permission}` (collaborator), `{org, team, role}` (team membership) or
 * `{mode: app-token, repositories, permissions}` (an installation token).
 */
export const GitHubParamsSchema = z.preprocess(
  withMode,
  z.discriminatedUnion('mode', [CollaboratorParamsSchema, TeamParamsSchema, AppTokenParamsSchema], {
    error: 'give repo + permission, org + team (+ role), or mode: app-token with repositories + permissions',
  }),
);
export type GitHubParams = z.infer<typeof GitHubParamsSchema>;
export type CollaboratorParams = z.infer<typeof CollaboratorParamsSchema>;
export type TeamParams = z.infer<typeof TeamParamsSchema>;
export type AppTokenParams = z.infer<typeof AppTokenParamsSchema>;

/** GitHub's cap on an installation token's life. */
export const APP_TOKEN_MAX_MS = 60 * 60_000;
