import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/domain/audit-event.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';
import { waitFor } from '../../support/engine.js';
import { useCliHarness } from '../../e2e/pipelines/cli-harness.js';
import { api, AUDIENCE, pipelinePolicy, startPipelineApp, type PipelineApp } from './pipeline-harness.js';

// The pipeline API's answer to a pipeline principal over its limits: 429, Retry-After and a JSON
// problem body, nothing created; and what `jitbot request` makes of it.

describe('the pipeline API over a limit', () => {
  let github: FakeOidc;
  let jit: PipelineApp;
  beforeAll(async () => {
    github = await new FakeOidc({ kind: 'github' }).start();
    const policy = pipelinePolicy({ settings: { minDuration: '10s', limits: { openPerPipeline: 2, requestsPerMinute: 3 } } });
    jit = await startPipelineApp({ github, policy });
  });
  afterAll(async () => {
    await jit?.stop();
    await github?.stop();
  });

  const create = async (runId: string) =>
    api(jit.url, 'POST', '/v1/requests', await github.sign(FakeOidc.githubClaims({ run_id: runId }), { audience: AUDIENCE }), { resource: 'prod-db', duration: '10m', reason: 'migrate' });

  it('counts open requests per pipeline principal across runs, answers 429 with Retry-After, and creates nothing', async () => {
    expect((await create('1001')).status).toBe(201);
    expect((await create('1002')).status).toBe(201);
    await waitFor('both cards', () => jit.notifier.cards.size === 2);
    const refused = await create('1003');
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(refused.headers.get('content-type')).toContain('application/json');
    expect(refused.body).toEqual({
      error: 'POLICY.LIMIT_REACHED',
      message: 'pipeline:deployer has 2 open requests (the limit is 2); release one (jitbot release) or wait until one ends, then ask again.',
      retryAfterSeconds: 60,
    });
    expect(await jit.requestsOf('pipeline:deployer')).toHaveLength(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(jit.notifier.cards.size).toBe(2);

    // Released: room for one more; then the per-minute limit (3) answers with the seconds to wait.
    const [latest] = await jit.requestsOf('pipeline:deployer');
    await jit.app.core.cancel({ kind: 'pipeline', pipeline: 'pipeline:deployer', via: 'api' }, latest!.id);
    expect((await create('1004')).status).toBe(201);
    await jit.app.core.cancel({ kind: 'pipeline', pipeline: 'pipeline:deployer', via: 'api' }, (await jit.requestsOf('pipeline:deployer'))[0]!.id);
    const tooFast = await create('1005');
    expect(tooFast.status).toBe(429);
    const wait = Number(tooFast.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(tooFast.body).toEqual({ error: 'POLICY.LIMIT_REACHED', message: `3 requests a minute is the limit; try again in ${wait} s.`, retryAfterSeconds: wait });

    const limited: AuditEvent[] = [];
    for await (const event of jit.app.store.exportAudit()) if (event.type === 'request.limited') limited.push(event);
    // Two refusals within the minute: audited once.
    expect(limited).toHaveLength(1);
    expect(limited[0]!.actor).toMatchObject({ kind: 'pipeline', pipeline: 'pipeline:deployer' });
  });
});

describe('jitbot request over a limit', () => {
  const cli = useCliHarness();

  it('reports the limit and when to retry, at once, and exits non-zero', async () => {
    // The shared harness' policy is generous; lower its per-minute limit in place (as a reload would).
    cli.jit.policy.settings.limits.requestsPerMinute = 1;
    const first = await cli.jitbot(['request', '--resource', 'prod-db', '--duration', '10m', '--reason', 'first'], cli.githubJob());
    expect(first.stderr).toContain('requested');
    expect(first.code).toBe(0);
    const second = await cli.jitbot(['request', '--resource', 'prod-db', '--duration', '10m', '--reason', 'second'], cli.githubJob());
    expect(second.code).not.toBe(0);
    expect(second.stderr).toMatch(/jitbot: error: the request was refused \(HTTP 429 POLICY\.LIMIT_REACHED\): 1 request a minute is the limit; try again in \d+ s\./);
    expect(second.stderr).not.toContain('retrying');
  }, 60_000);
});
