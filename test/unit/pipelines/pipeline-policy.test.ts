import { generateKeyPairSync } from 'node:crypto';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadPolicy, type PolicyLoadResult } from '../../../src/config/load-policy.js';
import type { PipelineContext } from '../../../src/core/domain/access-request.js';
import { buildCard } from '../../../src/core/messages/views.js';
import {
  checkMayApprove,
  deploymentGateFor,
  eligibleApprovers,
  globMatches,
  matchingPipelines,
  mayRequest,
  requestableResources,
  triggeringPerson,
} from '../../../src/core/policy/evaluate-policy.js';
import { PolicySchema, type Policy } from '../../../src/core/policy/policy-schema.js';
import { builtinIssuerFactories } from '../../../src/issuers/registry.js';
import { verifyGitHubSignature } from '../../../src/pipelines/deployment-gates.js';
import { GITHUB_ACTIONS_ISSUER, loadPipelineConfig, pipelineSecrets } from '../../../src/config/pipeline-config.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Data = Record<string, any>;

function basePolicy(): Data {
  return {
    version: 1,
    people: { alice: { github: 'alice-gh' }, bob: { github: 'Bob-GH', email: 'bob@example.com' }, carol: { email: 'carol@example.com' }, dave: {} },
    groups: { sre: ['alice', 'bob', 'carol'] },
    pipelines: {
      deployer: { provider: 'github', claims: { repository: 'acme/app', ref: ['refs/heads/main', 'refs/tags/v*'] } },
      'org-wide': { provider: 'github', claims: { repository_owner_id: 285964 } },
      infra: { provider: 'gitlab', claims: { project_id: 4242, ref_protected: true } },
    },
    issuers: { gate: { type: 'none' } },
    resources: {
      deploy: { issuer: 'gate', requesters: ['pipeline:deployer', 'alice'], approvers: ['group:sre'], maxDuration: '1h', autoApprove: [{ requesters: ['pipeline:org-wide'], maxDuration: '5m' }] },
      state: { issuer: 'gate', requesters: ['pipeline:infra'], approvers: ['group:sre'], maxDuration: '1h' },
      gate: { issuer: 'gate', approvers: ['group:sre'], maxDuration: '1h' },
    },
    deploymentProtection: [{ environment: 'Production', repositories: ['acme/*'], resource: 'gate', duration: '30m' }],
  };
}

function load(data: Data): PolicyLoadResult {
  return loadPolicy({ text: stringify(data), name: 'test.yaml' }, { env: {}, issuerFactories: builtinIssuerFactories() });
}

function policyOf(data: Data = basePolicy()): Policy {
  const result = load(data);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return result.policy;
}

function problems(data: Data): string[] {
  const result = load(data);
  if (result.ok) throw new Error('expected problems');
  return result.problems.map((p) => `${p.path}: ${p.message}`);
}

describe('pipelines in the policy', () => {
  it('loads pipeline principals, with YAML numbers and booleans read as claim text', () => {
    const policy = policyOf();
    expect(policy.pipelines.infra?.claims).toEqual({ project_id: ['4242'], ref_protected: ['true'] });
    expect(policy.pipelines.deployer?.claims.ref).toEqual(['refs/heads/main', 'refs/tags/v*']);
    expect(policy.deploymentProtection[0]).toMatchObject({ environment: 'Production', resource: 'gate', duration: 30 * 60_000 });
  });

  it('matches verified claims to principals: names caselessly, refs exactly, wildcards where written', () => {
    const policy = policyOf();
    const claims = (o: Record<string, unknown>) => FakeOidc.githubClaims(o);
    expect(matchingPipelines(policy, 'github', claims({}))).toEqual(['pipeline:deployer', 'pipeline:org-wide']);
    expect(matchingPipelines(policy, 'github', claims({ repository: 'ACME/App' }))).toContain('pipeline:deployer');
    expect(matchingPipelines(policy, 'github', claims({ ref: 'refs/tags/v1.2.3' }))).toContain('pipeline:deployer');
    expect(matchingPipelines(policy, 'github', claims({ ref: 'refs/heads/MAIN' }))).toEqual(['pipeline:org-wide']);
    expect(matchingPipelines(policy, 'github', claims({ repository_owner_id: '1', ref: 'refs/heads/x' }))).toEqual([]);
    // A GitLab token never matches a GitHub principal, even with the same claim values.
    expect(matchingPipelines(policy, 'gitlab', claims({}))).toEqual([]);
    expect(matchingPipelines(policy, 'gitlab', FakeOidc.gitlabClaims())).toEqual(['pipeline:infra']);
    expect(matchingPipelines(policy, 'gitlab', FakeOidc.gitlabClaims({ ref_protected: 'false' }))).toEqual([]);
    expect(globMatches('acme/*', 'acme/app/extra', true)).toBe(true);
    expect(globMatches('a.c', 'abc', false)).toBe(false);
  });

  it('lets pipelines request what names them, and gated deployments only their mapped resource', () => {
    const policy = policyOf();
    expect(requestableResources(policy, 'pipeline:deployer')).toEqual(['deploy']);
    expect(requestableResources(policy, 'pipeline:infra')).toEqual(['state']);
    // Pipelines are never requesters by default ("everyone in people").
    expect(mayRequest(policy, 'pipeline:deployer', 'gate')).toBe(false);
    expect(mayRequest(policy, 'deployment:acme/app@production', 'gate')).toBe(true);
    expect(mayRequest(policy, 'deployment:acme/app@production', 'deploy')).toBe(false);
    expect(mayRequest(policy, 'deployment:other/app@production', 'gate')).toBe(false);
    expect(deploymentGateFor(policy, 'acme/web', 'PRODUCTION')?.resource).toBe('gate');
    expect(deploymentGateFor(policy, 'acme/web', 'staging')).toBeUndefined();
  });

  it('keeps the person who triggered a run from approving it, and asks for the identity that tells', () => {
    const policy = policyOf();
    const github: PipelineContext = { source: 'oidc', provider: 'github', issuer: GITHUB_ACTIONS_ISSUER, subject: 's', repository: 'acme/app', actor: 'bob-gh' };
    expect(triggeringPerson(policy, github)).toBe('bob');
    // bob triggered it; carol has no GitHub login in the policy, so she cannot be told apart from bob-gh.
    expect(eligibleApprovers(policy, policy.resources.deploy!, 'pipeline:deployer', github)).toEqual(['alice']);
    expect(eligibleApprovers(policy, policy.resources.deploy!, 'alice')).toEqual(['bob', 'carol']);
    expect(() => checkMayApprove(policy, 'deploy', 'bob', 'pipeline:deployer', { context: github, action: 'approve' })).toThrow(/triggered this GitHub run \(as bob-gh\)/);
    expect(() => checkMayApprove(policy, 'deploy', 'bob', 'pipeline:deployer', { context: github, action: 'deny' })).not.toThrow();
    expect(() => checkMayApprove(policy, 'deploy', 'carol', 'pipeline:deployer', { context: github, action: 'approve' })).toThrow(/people\.carol\.github/);
    expect(() => checkMayApprove(policy, 'deploy', 'alice', 'pipeline:deployer', { context: github, action: 'approve' })).not.toThrow();
    const gitlab: PipelineContext = { ...github, provider: 'gitlab', actor: 'carol-gl', actorEmail: 'Carol@Example.com' };
    expect(triggeringPerson(policy, gitlab)).toBe('carol');
    expect(() => checkMayApprove(policy, 'deploy', 'carol', 'pipeline:infra', { context: gitlab, action: 'approve' })).toThrow(/triggered this GitLab run/);
    expect(() => checkMayApprove(policy, 'deploy', 'alice', 'pipeline:infra', { context: gitlab, action: 'approve' })).toThrow(/people\.alice\.email/);
    expect(() => checkMayApprove(policy, 'deploy', 'bob', 'pipeline:infra', { context: gitlab, action: 'approve' })).not.toThrow();
  });

  it('puts the run on the card (link, commit, who triggered it), also in the status line every adapter shows', () => {
    const card = buildCard(
      {
        id: 'JIT-9',
        status: 'pending',
        timeoutAt: Date.now() + 60_000,
        resource: 'deploy',
        requester: 'pipeline:deployer',
        durationMs: 600_000,
        reason: 'ship it',
        createdAt: Date.now(),
        version: 1,
        approvalsRequired: 1,
        approvals: [],
        via: 'pipeline',
        pipeline: { source: 'oidc', provider: 'github', issuer: GITHUB_ACTIONS_ISSUER, subject: 's', repository: 'acme/app', runId: '5', runUrl: 'https://github.com/acme/app/actions/runs/5', commit: 'abcdef0123456789', ref: 'refs/heads/main', actor: 'bob-gh' },
      },
      '',
      ['alice'],
    );
    expect(card.pipeline).toMatchObject({ runUrl: 'https://github.com/acme/app/actions/runs/5', commit: 'abcdef0123456789', triggeredBy: 'bob-gh' });
    expect(card.status).toMatch(/\nPipeline run of acme\/app: https:\/\/github\.com\/acme\/app\/actions\/runs\/5 · commit abcdef012345 on refs\/heads\/main · triggered by bob-gh/);
    expect(card.actions.map((a) => a.id)).toEqual(['approve', 'deny']);
  });

  it('names every mistake in pipelines and deploymentProtection at its place', () => {
    const data = basePolicy();
    data.pipelines.loose = { provider: 'github', claims: { ref: 'refs/heads/main' } };
    data.pipelines.starry = { provider: 'github', claims: { repository: '*' } };
    data.pipelines.typo = { provider: 'gitlab', claims: { project_path: 'a/b', repository: 'a/b' } };
    data.resources.deploy.requesters.push('pipeline:deployr');
    data.resources.deploy.approvers.push('pipeline:deployer');
    data.admins = ['pipeline:infra'];
    data.groups.sre.push('pipeline:deployer');
    data.resources.ticketed = { issuer: 'gate', approvers: ['group:sre'], maxDuration: '10m', ticket: '^T-[0-9]+$' };
    data.deploymentProtection.push({ environment: 'staging', resource: 'ticketed', duration: '1h' }, { environment: 'qa', resource: 'nope' });
    const found = problems(data);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^pipelines\.loose\.claims: name the repository: match at least one of repository, repository_id/),
        expect.stringMatching(/^pipelines\.starry\.claims: name the repository/),
        expect.stringMatching(/^pipelines\.typo\.claims\.repository: gitlab pipelines are matched on project_path/),
        'resources.deploy.requesters[2]: unknown pipeline "deployr" (did you mean "pipeline:deployer"? pipelines: deployer, infra, loose, org-wide, starry, typo)',
        'resources.deploy.approvers[1]: a pipeline cannot approve ("pipeline:deployer"); only people can',
        'admins[0]: a pipeline cannot be an admin ("pipeline:infra"); only people can',
        'groups.sre[3]: a group lists people, not pipelines ("pipeline:deployer"): name the pipeline in requesters directly',
        expect.stringMatching(/^deploymentProtection\[1\]\.resource: ticketed requires a ticket/),
        'deploymentProtection[1].duration: 1h is longer than the maxDuration of ticketed (10m)',
        'deploymentProtection[2].resource: unknown resource "nope"',
      ]),
    );
  });

  it('refuses a credential-issuing resource as a deployment gate', () => {
    const data = basePolicy();
    data.issuers.tokens = { type: 'jwt', issuer: 'jitbot', introspectionToken: 'introspect-secret-0123456789' };
    data.resources.gate.issuer = 'tokens';
    expect(problems(data)).toEqual([expect.stringMatching(/^deploymentProtection\[0\]\.resource: gate uses issuer "tokens" of type jwt/)]);
  });
});

describe('pipeline settings from the environment', () => {
  const key = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const app = { JITBOT_GITHUB_APP_ID: '12345', JITBOT_GITHUB_APP_PRIVATE_KEY: key, JITBOT_GITHUB_WEBHOOK_SECRET: 'a-long-enough-webhook-secret' };

  it('needs nothing when the policy has no pipelines', () => {
    const policy = PolicySchema.parse({ version: 1, people: { a: {} }, resources: {} });
    expect(loadPipelineConfig({}, policy)).toBeUndefined();
  });

  it('defaults to github.com and gitlab.com, and lists every missing or bad variable by name', () => {
    const policy = policyOf();
    const config = loadPipelineConfig({ JITBOT_OIDC_AUDIENCE: 'https://jit.example', ...app }, policy);
    expect(config?.oidc?.providers).toEqual([
      { provider: 'github', issuer: GITHUB_ACTIONS_ISSUER, jwksUrl: undefined, maxTokenAgeMs: 600_000, serverUrl: 'https://github.com' },
      { provider: 'gitlab', issuer: 'https://gitlab.com', jwksUrl: undefined, maxTokenAgeMs: 3_600_000, serverUrl: 'https://gitlab.com' },
    ]);
    expect(config?.githubApp).toMatchObject({ appId: '12345', apiUrl: 'https://api.github.com' });
    expect(pipelineSecrets(config)).toEqual([app.JITBOT_GITHUB_WEBHOOK_SECRET, key]);

    const ghes = loadPipelineConfig({ JITBOT_OIDC_AUDIENCE: 'x', JITBOT_GITHUB_OIDC_ISSUER: 'https://ghe.example.com/_services/token', JITBOT_GITLAB_ISSUER: 'https://gitlab.example.com/', JITBOT_OIDC_MAX_AGE: '5m', ...app }, policy);
    expect(ghes?.oidc?.providers.map((p) => [p.issuer, p.serverUrl, p.maxTokenAgeMs])).toEqual([
      ['https://ghe.example.com/_services/token', 'https://ghe.example.com', 300_000],
      // The issuer exactly as configured (tokens must name it so); links drop the slash.
      ['https://gitlab.example.com/', 'https://gitlab.example.com', 3_600_000],
    ]);

    let error: unknown;
    try {
      loadPipelineConfig({ JITBOT_GITLAB_ISSUER: 'http://gitlab.example.com', JITBOT_OIDC_MAX_AGE: 'soon', JITBOT_GITHUB_APP_PRIVATE_KEY: 'not a key', JITBOT_GITHUB_WEBHOOK_SECRET: 'short' }, policy);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const variables = (error as ConfigError).problems.map((p) => p.variable);
    expect(variables).toEqual(['JITBOT_OIDC_MAX_AGE', 'JITBOT_GITLAB_ISSUER', 'JITBOT_GITHUB_APP_PRIVATE_KEY', 'JITBOT_GITHUB_WEBHOOK_SECRET']);
    expect((error as ConfigError).message).not.toContain('not a key');

    try {
      loadPipelineConfig({}, policy);
    } catch (e) {
      error = e;
    }
    expect((error as ConfigError).problems.map((p) => p.variable)).toEqual(['JITBOT_OIDC_AUDIENCE', 'JITBOT_GITHUB_APP_ID', 'JITBOT_GITHUB_APP_PRIVATE_KEY', 'JITBOT_GITHUB_WEBHOOK_SECRET']);
  });
});

describe('GitHub webhook signatures', () => {
  it('accepts only the HMAC-SHA256 of the exact body under the secret', async () => {
    const { createHmac } = await import('node:crypto');
    const body = Buffer.from('{"action":"requested"}');
    const good = `sha256=${createHmac('sha256', 'secret-secret-secret').update(body).digest('hex')}`;
    expect(verifyGitHubSignature('secret-secret-secret', body, good)).toBe(true);
    expect(verifyGitHubSignature('secret-secret-secret', Buffer.from('{"action":"requested" }'), good)).toBe(false);
    expect(verifyGitHubSignature('another-secret-value', body, good)).toBe(false);
    expect(verifyGitHubSignature('secret-secret-secret', body, good.replace('sha256=', 'sha1='))).toBe(false);
    expect(verifyGitHubSignature('secret-secret-secret', body, 'sha256=abcd')).toBe(false);
    expect(verifyGitHubSignature('secret-secret-secret', body, undefined)).toBe(false);
  });
});
