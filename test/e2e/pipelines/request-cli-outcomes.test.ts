import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { person } from '../../support/engine.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';
import { AUDIENCE, pipelinePolicy, startPipelineApp } from '../../integration/pipelines/pipeline-harness.js';

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
    expect((await h.jit.app.core.deps.store.get(request.id))?.status).toBe('cancelled');
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
