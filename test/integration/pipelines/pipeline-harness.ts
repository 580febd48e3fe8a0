import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { buildApp, type JitbotApp } from '../../../src/app/build-app.js';
import type { AccessRequest } from '../../../src/core/domain/access-request.js';
import { PolicySchema, type Policy } from '../../../src/core/policy/policy-schema.js';
import { silentLogger } from '../../../src/core/ports/logger.js';
import { builtinIssuerFactories } from '../../../src/issuers/registry.js';
import { loadPipelineConfig } from '../../../src/config/pipeline-config.js';
import { FakeIssuer } from '../../fakes/fake-issuer.js';
import type { FakeGitHubDeployments } from '../../fakes/fake-github-deployments.js';
import type { FakeOidc } from '../../fakes/fake-oidc.js';
import { RecordingNotifier } from '../../fakes/recording-notifier.js';
import { deleteByPrefix, uniquePrefix } from '../../support/redis.js';

export const AUDIENCE = 'https://jitbot.test';

/**
 * People with GitHub logins (bob and carol approve; alice-gh triggers the pipeline runs), a GitHub
 * and a GitLab pipeline principal, resources they may request, and a gated GitHub environment.
 */
export function pipelinePolicy(overrides: Record<string, unknown> = {}): Policy {
  return PolicySchema.parse({
    version: 1,
    // One pipeline principal makes every request of these files; pipeline-limits.test.ts tests the limits.
    settings: { approvalTimeout: '30s', reminderBefore: '1s', minDuration: '10s', reannounceAfter: '10m', limits: { openPerRequester: 1000, openPerPipeline: 1000, requestsPerMinute: 10_000 } },
    people: {
      alice: { slack: 'U0ALICE', github: 'alice-gh' },
      bob: { slack: 'U0BOB', github: 'bob-gh' },
      carol: { slack: 'U0CAROL', github: 'carol-gh', email: 'carol@example.com' },
      dave: { slack: 'U0DAVE' },
      erin: { slack: 'U0ERIN', email: 'erin@example.com' },
    },
    groups: { sre: ['alice', 'bob', 'carol', 'dave', 'erin'] },
    pipelines: {
      deployer: { provider: 'github', description: 'main-branch deploys of acme/app', claims: { repository: 'acme/app', ref: 'refs/heads/main', job_workflow_ref: 'acme/app/.github/workflows/deploy.yml@refs/heads/main' } },
      'infra-apply': { provider: 'gitlab', claims: { project_path: 'acme/infra', ref_protected: true } },
    },
    issuers: { fake: { type: 'none' }, gate: { type: 'none' } },
    resources: {
      'prod-db': {
        description: 'Production database (write)',
        issuer: 'fake',
        requesters: ['pipeline:deployer', 'alice'],
        approvers: ['group:sre'],
        approvals: 1,
        defaultDuration: '10m',
        maxDuration: '1h',
        reason: 'optional',
        channel: { slack: 'C0APPROVALS' },
      },
      'infra-state': { issuer: 'fake', requesters: ['pipeline:infra-apply'], approvers: ['group:sre'], maxDuration: '1h', reason: 'required', channel: { slack: 'C0INFRA' } },
      'deploy-gate': { description: 'Deployments of acme/app to production', issuer: 'gate', approvers: ['group:sre'], maxDuration: '1h', defaultDuration: '20s', reason: 'optional', channel: { slack: 'C0DEPLOYS' } },
    },
    deploymentProtection: [{ environment: 'production', repositories: ['acme/*'], resource: 'deploy-gate', duration: '10s' }],
    ...overrides,
  });
}

export interface PipelineApp {
  app: JitbotApp;
  /** The policy the app runs on (the same object: changing it changes the running policy, as a reload would). */
  policy: Policy;
  url: string;
  notifier: RecordingNotifier;
  issuer: FakeIssuer;
  stop(): Promise<void>;
  /** The pipeline's requests, newest first. */
  requestsOf(requester: string): Promise<AccessRequest[]>;
}

/** jitbot in-process (HTTP on loopback, workers, real Redis) wired to the fake issuers and GitHub. */
export async function startPipelineApp(options: {
  policy?: Policy;
  github?: FakeOidc;
  gitlab?: FakeOidc;
  deployments?: FakeGitHubDeployments;
  env?: Record<string, string>;
  /** How long after a JWKS fetch an unknown key id waits for the next one (default here 1 s). */
  jwksCooldownMs?: number;
}): Promise<PipelineApp> {
  const policy = options.policy ?? pipelinePolicy();
  const env: Record<string, string> = {
    JITBOT_OIDC_AUDIENCE: AUDIENCE,
    ...(options.github ? { JITBOT_GITHUB_OIDC_ISSUER: options.github.issuer, JITBOT_GITHUB_SERVER_URL: 'https://github.com' } : {}),
    ...(options.gitlab ? { JITBOT_GITLAB_ISSUER: options.gitlab.issuer } : {}),
    ...(options.deployments
      ? {
          JITBOT_GITHUB_APP_ID: options.deployments.appId,
          JITBOT_GITHUB_APP_PRIVATE_KEY: options.deployments.privateKeyPem,
          JITBOT_GITHUB_WEBHOOK_SECRET: options.deployments.webhookSecret,
          JITBOT_GITHUB_API_URL: options.deployments.apiUrl,
        }
      : { JITBOT_GITHUB_APP_ID: '1', JITBOT_GITHUB_APP_PRIVATE_KEY: PLACEHOLDER_KEY, JITBOT_GITHUB_WEBHOOK_SECRET: 'placeholder-secret-0123456789', JITBOT_GITHUB_API_URL: 'http://127.0.0.1:9' }),
    ...options.env,
  };
  const config = loadPipelineConfig(env, policy);
  // A rotated key is picked up a second after the last fetch instead of 30.
  for (const provider of config?.oidc?.providers ?? []) provider.jwksCooldownMs = options.jwksCooldownMs ?? 1000;
  const prefix = uniquePrefix('pl');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-pipelines-'));
  const issuer = new FakeIssuer();
  const app = await buildApp({
    policy,
    issuerFactories: builtinIssuerFactories(),
    log: silentLogger,
    redisUrl: inject('redisUrl'),
    dataDir,
    prefix,
    web: { host: '127.0.0.1', port: 0 },
    worker: true,
    engine: { revokeFailedAfterAttempts: 3, issueMaxAttempts: 4, earlyToleranceMs: 50 },
    retry: { baseMs: 20, capMs: 300 },
    workerTimings: { lockDurationMs: 2000, stalledIntervalMs: 500, reconcileEveryMs: 1000 },
    issuerOverrides: new Map([['fake', issuer]]),
    ...(config ? { pipelines: config } : {}),
  });
  const notifier = new RecordingNotifier('slack');
  app.addNotifier(notifier);
  await app.start();
  return {
    app,
    policy,
    url: `http://127.0.0.1:${app.port}`,
    notifier,
    issuer,
    async requestsOf(requester) {
      return app.store.listByRequester(requester, 100);
    },
    async stop() {
      await app.stop();
      const { Redis } = await import('ioredis');
      const redis = new Redis(inject('redisUrl'));
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// A valid RSA key for tests that do not exercise deployments (the configuration still needs one).
const PLACEHOLDER_KEY = (await import('node:crypto')).generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

/** Calls the pipelines API like a pipeline would. */
export async function api(
  url: string,
  method: 'GET' | 'POST',
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: response.headers };
}
