import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IssuerError, type GrantContext } from '../../../../src/core/ports/issuer.js';
import { githubIssuerFactory, webUrlOf } from '../../../../src/issuers/github/github-issuer.js';
import { GitHubParamsSchema, GitHubSettingsSchema, type GitHubParams } from '../../../../src/issuers/github/github-schemas.js';
import { contractGrant } from '../../../contract/issuer-contract.js';
import { startGitHubScene, type GitHubScene } from '../../../fakes/fake-github-scene.js';

let n = 0;
function grant(login: string | undefined, params: Record<string, unknown>, minutes = 60): GrantContext<GitHubParams> {
  n += 1;
  const start = Date.now();
  // The issuer gets params as the registry hands them over: parsed.
  return { ...contractGrant({ grantId: `JIT-${7000 + n}`, person: { name: 'someone', ...(login ? { github: login } : {}) }, window: { start, end: start + minutes * 60_000 } }), params: GitHubParamsSchema.parse(params) };
}

describe('github issuer: team membership', () => {
  let scene: GitHubScene;
  const team = () => scene.fake.orgs.get('acme')!.teams.get('deployers')!;
  beforeEach(async () => {
    scene = await startGitHubScene();
  });
  afterEach(async () => {
    expect(scene.fake.contractViolations).toEqual([]);
    await scene.stop();
  });

  it('a member made maintainer for the grant is a member again afterwards', async () => {
    const issuer = await scene.issuer();
    team().members.set('alice-gh', { role: 'member', state: 'active' });
    const g = grant('alice-gh', { org: 'acme', team: 'deployers', role: 'maintainer' });
    const result = await issuer.issue(g);
    expect(team().members.get('alice-gh')?.role).toBe('maintainer');
    expect(await issuer.verify(g, result.receipt)).toBe(true);
    await issuer.revoke(g, result.receipt);
    expect(team().members.get('alice-gh')).toEqual({ role: 'member', state: 'active' });
  });

  it('a maintainer asking to be a member is refused: jitbot does not lower access', async () => {
    const issuer = await scene.issuer();
    team().members.set('alice-gh', { role: 'maintainer', state: 'active' });
    await expect(issuer.issue(grant('alice-gh', { org: 'acme', team: 'deployers' }))).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/already a maintainer of acme\/deployers/) });
    expect(scene.fake.server.requests('PUT', /memberships/)).toHaveLength(0);
  });

  it('someone outside the org gets a pending membership (GitHub emails an org invitation); the DM says so; revoke removes it', async () => {
    const issuer = await scene.issuer();
    const g = grant('carol-gh', { org: 'acme', team: 'deployers' });
    const result = await issuer.issue(g);
    expect(team().members.get('carol-gh')).toEqual({ role: 'member', state: 'pending' });
    expect(result.receipt.details.invitation).toMatch(/\/orgs\/acme\/invitation \(GitHub emailed an invitation/);
    await issuer.revoke(g, result.receipt);
    expect(team().members.has('carol-gh')).toBe(false);
  });

  it('overlapping memberships: the first to end leaves the other in place', async () => {
    const issuer = await scene.issuer();
    const a = grant('bob-gh', { org: 'acme', team: 'deployers', role: 'maintainer' });
    const b = grant('bob-gh', { org: 'acme', team: 'deployers', role: 'member' });
    const ra = await issuer.issue(a);
    const rb = await issuer.issue(b);
    await issuer.revoke(a, ra.receipt);
    expect(team().members.get('bob-gh')?.role).toBe('member');
    await issuer.revoke(b, rb.receipt);
    expect(team().members.has('bob-gh')).toBe(false);
  });

  it('a team synchronised with an identity provider (403) is a permanent failure', async () => {
    const issuer = await scene.issuer();
    scene.fake.orgs.get('acme')!.teams.get('deployers')!.synced = true;
    await expect(issuer.issue(grant('bob-gh', { org: 'acme', team: 'deployers' }))).rejects.toMatchObject({ retryable: false, message: expect.stringMatching(/403.*identity provider/) });
  });
});

describe('github issuer: as a GitHub App', () => {
  let scene: GitHubScene;
  beforeEach(async () => {
    scene = await startGitHubScene();
  });
  afterEach(async () => {
    expect(scene.fake.contractViolations).toEqual([]);
    await scene.stop();
  });
  const mints = () => scene.fake.server.requests('POST', /\/access_tokens$/);

  it('finds its installation, caches the installation token, and renews it five minutes before it expires', async () => {
    let now = Date.now();
    const issuer = await scene.issuer({ auth: 'app', now: () => now });
    scene.fake.tokenLifetimeMs = 7 * 60_000;
    const ra = await issuer.issue(grant('alice-gh', { repo: 'acme/app', permission: 'push' }));
    await issuer.issue(grant('bob-gh', { repo: 'acme/app', permission: 'push' }));
    expect(ra.receipt.summary).toBe('alice-gh has push on acme/app');
    expect(scene.fake.server.requests('GET', /\/repos\/acme\/app\/installation$/)).toHaveLength(1);
    expect(mints()).toHaveLength(1);
    scene.fake.tokenLifetimeMs = 60 * 60_000;
    now += 3 * 60_000; // 4 minutes left on the token: renewed before the next call
    await issuer.issue(grant('member-1', { repo: 'acme/app', permission: 'push' }));
    expect(mints()).toHaveLength(2);
    await issuer.issue(grant('member-2', { repo: 'acme/app', permission: 'push' }));
    expect(mints()).toHaveLength(2);
  });

  it('a cached token that GitHub no longer accepts (401) is replaced and the call made once more', async () => {
    const issuer = await scene.issuer({ auth: 'app', installationId: 77 });
    await issuer.issue(grant('alice-gh', { repo: 'acme/app', permission: 'push' }));
    for (const token of scene.fake.tokens.values()) token.revoked = true;
    await issuer.issue(grant('bob-gh', { repo: 'acme/app', permission: 'push' }));
    expect(mints()).toHaveLength(2);
    expect(scene.fake.server.requests('GET', /\/installation$/)).toHaveLength(0);
  });

  it('mode app-token: a token scoped to the repositories and permissions, delivered as the secret, revoked with DELETE /installation/token', async () => {
    const issuer = await scene.issuer({ auth: 'app' });
    const g = grant(undefined, { mode: 'app-token', repositories: ['acme/app', 'acme/infra'], permissions: { contents: 'read', pull_requests: 'write' } });
    const result = await issuer.issue(g);
    const token = result.secret!.value;
    expect(token).toMatch(/^ghs_[A-Za-z0-9._-]{36,}$/);
    expect(token.length).toBeGreaterThan(400);
    expect(scene.fake.tokens.get(token)).toMatchObject({ repositories: ['app', 'infra'], permissions: { contents: 'read', pull_requests: 'write' } });
    expect(JSON.stringify(result.receipt)).not.toContain(token);
    expect(result.receipt.details['token sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(await issuer.verify(g, result.receipt)).toBe(true);
    await issuer.revoke(g, result.receipt);
    expect(scene.fake.tokens.get(token)!.revoked).toBe(true);
    const deletes = scene.fake.server.requests('DELETE', /\/installation\/token$/);
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.headers.authorization).toBe(`Bearer ${token}`);
    expect(await issuer.verify(g, result.receipt)).toBe(false);
  });

  it('mode app-token: a window longer than GitHub\'s hour is refused at issue, and maxWindowMs / requestProblem say so up front', async () => {
    const issuer = await scene.issuer({ auth: 'app' });
    const params = { mode: 'app-token', repositories: ['acme/app'], permissions: { contents: 'read' } };
    const error = await issuer.issue(grant(undefined, params, 61)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IssuerError);
    expect((error as IssuerError).retryable).toBe(false);
    expect((error as IssuerError).message).toMatch(/at most 1 hour/);
    expect(mints()).toHaveLength(0);
    const parsed = GitHubParamsSchema.parse(params);
    expect(githubIssuerFactory.maxWindowMs(parsed)).toBe(3_600_000);
    expect(githubIssuerFactory.maxWindowMs(GitHubParamsSchema.parse({ repo: 'acme/app' }))).toBeUndefined();
    expect(githubIssuerFactory.requestProblem(parsed, { name: 'dave' }, 2 * 3_600_000)).toMatch(/at most 1 hour/);
    expect(githubIssuerFactory.requestProblem(GitHubParamsSchema.parse({ repo: 'acme/app' }), { name: 'dave' })).toMatch(/people\.dave/);
  });

  it('mode app-token: permissions the installation does not have are GitHub\'s 422, not retryable', async () => {
    const issuer = await scene.issuer({ auth: 'app' });
    await expect(issuer.issue(grant(undefined, { mode: 'app-token', repositories: ['acme/app'], permissions: { workflows: 'write' } }))).rejects.toMatchObject({ retryable: false });
  });

  it('mode app-token: an extension within the hour keeps the token; revoke also ends a token revoked or expired already', async () => {
    const issuer = await scene.issuer({ auth: 'app' });
    const g = grant(undefined, { mode: 'app-token', repositories: ['acme/app'], permissions: { contents: 'read' } }, 20);
    const result = await issuer.issue(g);
    const extended = await issuer.extend({ ...g, window: { start: g.window.start, end: g.window.end + 20 * 60_000 } }, result.receipt);
    expect(extended.secret?.value).toBe(result.secret!.value);
    await expect(issuer.extend({ ...g, window: { start: g.window.start, end: g.window.start + 90 * 60_000 } }, result.receipt)).rejects.toMatchObject({ retryable: false });
    scene.fake.tokens.get(result.secret!.value)!.revoked = true;
    await expect(issuer.revoke(g, result.receipt)).resolves.toBeUndefined();
  });
});

describe('github issuer: settings and params', () => {
  it('accepts a token or App credentials, not both, and defaults baseUrl to api.github.com', () => {
    expect(GitHubSettingsSchema.parse({ token: 'x' }).baseUrl).toBe('https://api.github.com');
    expect(GitHubSettingsSchema.safeParse({ token: 'x', app: { appId: 1, privateKey: 'k' } }).success).toBe(false);
    expect(GitHubSettingsSchema.safeParse({}).success).toBe(false);
    expect(GitHubSettingsSchema.safeParse({ app: { appId: 1 } }).success).toBe(false);
    expect(GitHubSettingsSchema.parse({ baseUrl: 'https://ghe.example.com/api/v3/', token: 'x' }).baseUrl).toBe('https://ghe.example.com/api/v3');
  });

  it('reads params in three shapes, with defaults, and explains the wrong ones', () => {
    expect(GitHubParamsSchema.parse({ repo: 'acme/app' })).toEqual({ mode: 'collaborator', repo: 'acme/app', permission: 'push' });
    expect(GitHubParamsSchema.parse({ repo: 'acme/app', permission: 'write' })).toMatchObject({ permission: 'push' });
    expect(GitHubParamsSchema.parse({ org: 'acme', team: 'sre' })).toEqual({ mode: 'team', org: 'acme', team: 'sre', role: 'member' });
    expect(GitHubParamsSchema.safeParse({ repo: 'acme' }).error?.issues[0]?.message).toMatch(/owner\/name/);
    expect(GitHubParamsSchema.safeParse({ mode: 'app-token', repositories: ['a/x', 'b/y'], permissions: { contents: 'read' } }).error?.issues[0]?.message).toMatch(/single owner/);
  });

  it('derives the web address from the API address', () => {
    expect(webUrlOf('https://api.github.com')).toBe('https://github.com');
    expect(webUrlOf('https://ghe.example.com/api/v3')).toBe('https://ghe.example.com');
    expect(webUrlOf('https://api.acme.ghe.com')).toBe('https://acme.ghe.com');
  });
});
