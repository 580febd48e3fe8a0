import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { person } from '../../support/engine.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';
import { api, AUDIENCE, pipelinePolicy, startPipelineApp } from '../../integration/pipelines/pipeline-harness.js';

import { useCliHarness } from './cli-harness.js';

const h = useCliHarness();
const { jitbot, githubJob, nextRequest, known } = h;

describe('jitbot request exit codes', () => {
  it('exits 3 when the request is denied', async () => {
    const before = await known('pipeline:deployer');
    const running = jitbot(['request', '--resource', 'prod-db', '--reason', 'hotfix', '--wait', '--output-file', path.join(h.dir, 'never')], githubJob());
    const request = await nextRequest('pipeline:deployer', before);
    await h.jit.app.core.deny(person('bob'), request.id, 'use the maintenance window');
    const run = await running;
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('denied by bob: use the maintenance window');
  }, 90_000);

  it('exits 4 and withdraws the request when --timeout passes without a decision', async () => {
    const before = await known('pipeline:deployer');
    const running = jitbot(['request', '--resource', 'prod-db', '--wait', '--timeout', '3s', '--output-file', path.join(h.dir, 'never')], githubJob());
    const request = await nextRequest('pipeline:deployer', before);
    const run = await running;
    expect(run.code).toBe(4);
    expect((await h.jit.app.store.get(request.id))?.status).toBe('cancelled');
  }, 90_000);

  it('exits 1 with a clear message when the job has no ID token, or no pipeline matches it', async () => {
    const noToken = await jitbot(['request', '--resource', 'prod-db', '--wait', '--output-file', '-'], { JITBOT_URL: h.jit.url, GITHUB_ACTIONS: 'true' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('id-token: write');
    const feature = await jitbot(['request', '--resource', 'prod-db'], githubJob({ ref: 'refs/heads/feature' }));
    expect(feature.code).toBe(1);
    expect(feature.stderr).toContain('unknown_pipeline');
  }, 90_000);
});

describe('a request nobody decides', () => {
  it('exits 4 when jitbot closes it as timed out', async () => {
    const quick = await startPipelineApp({ github: h.github, policy: pipelinePolicy({ settings: { approvalTimeout: '3s', reminderBefore: '1s', minDuration: '10s', reannounceAfter: '10m' } }) });
    try {
      const { requestToken } = h.github.runner(FakeOidc.githubClaims());
      const run = await jitbot(['request', '--resource', 'prod-db', '--wait', '--output-file', path.join(h.dir, 'never')], {
        JITBOT_URL: quick.url,
        JITBOT_OIDC_AUDIENCE: AUDIENCE,
        ACTIONS_ID_TOKEN_REQUEST_URL: h.github.tokenRequestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
      });
      expect(run.code).toBe(4);
      expect(run.stderr).toContain('nobody decided in time');
      const [request] = await quick.requestsOf('pipeline:deployer');
      expect(request?.status).toBe('timed_out');
    } finally {
      await quick.stop();
    }
  }, 90_000);
});

describe('jitbot request and an issuer rotating its keys', () => {
  it('waits out a 503 Retry-After (keys fetched too recently) and succeeds, within its own --timeout', async () => {
    const rotating = await new FakeOidc({ kind: 'github' }).start();
    // Long enough that a CLI started on a busy machine still meets the cooldown.
    const quick = await startPipelineApp({ github: rotating, jwksCooldownMs: 12_000 });
    try {
      const warm = await api(quick.url, 'POST', '/v1/requests', await rotating.sign(FakeOidc.githubClaims(), { audience: AUDIENCE }), { resource: 'prod-db' });
      expect(warm.status).toBe(201);
      const job = () => ({
        JITBOT_URL: quick.url,
        JITBOT_OIDC_AUDIENCE: AUDIENCE,
        ACTIONS_ID_TOKEN_REQUEST_URL: rotating.tokenRequestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: rotating.runner(FakeOidc.githubClaims()).requestToken,
      });
      await rotating.addKey();
      const run = await jitbot(['request', '--resource', 'prod-db'], job());
      expect(run.stderr).toMatch(/jitbot answered 503 keys_refreshing; retrying in \d+ s/);
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout.trim())).toMatchObject({ status: 'pending' });

      // The retry above fetched the keys; a newer key again meets the cooldown, and a wait that
      // would outlast --timeout is not begun: it gives up at once rather than overrun.
      await rotating.addKey();
      const bounded = await jitbot(['request', '--resource', 'prod-db', '--wait', '--timeout', '5s', '--output-file', path.join(h.dir, 'never')], job());
      expect(bounded.stderr).toContain('HTTP 503 keys_refreshing');
      expect(bounded.code).toBe(1);
    } finally {
      await quick.stop();
      await rotating.stop();
    }
  }, 90_000);
});

describe('jitbot request when jitbot cannot be reached', () => {
  const job = (url: string) => ({ JITBOT_URL: url, JITBOT_OIDC_AUDIENCE: AUDIENCE, JITBOT_ID_TOKEN: 'header.payload.signature' });
  const args = ['request', '--resource', 'prod-db', '--wait', '--timeout', '3s', '--output-file', '-'];

  it('names the URL: connection refused', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', () => resolve()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const run = await jitbot(args, job(`http://127.0.0.1:${port}`));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`jitbot: error: cannot reach http://127.0.0.1:${port}/v1/requests: connection refused`);
    expect(run.stdout).toBe('');
  }, 60_000);

  it('names the URL: host not found', async () => {
    const run = await jitbot(args, job('http://jitbot.invalid'));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot reach http://jitbot.invalid/v1/requests: host not found (DNS)');
  }, 60_000);

  it('names the URL: no answer in time', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (silent.address() as AddressInfo).port;
      const run = await jitbot(args, job(`http://127.0.0.1:${port}/`));
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}/v1/requests: no answer within \\d+ s`));
      // A URL with credentials is refused before anything is sent, without echoing them.
      const withCredentials = await jitbot(args, job(`http://user:pw@127.0.0.1:${port}/`));
      expect(withCredentials.code).toBe(1);
      expect(withCredentials.stderr).toContain('JITBOT_URL must not contain a user name or password');
      expect(withCredentials.stderr).not.toContain('pw');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  }, 60_000);
});
