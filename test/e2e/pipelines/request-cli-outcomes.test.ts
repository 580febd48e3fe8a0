import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessRequest } from '../../../src/core/domain/access-request.js';
import { person, waitFor } from '../../support/engine.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';
import { AUDIENCE, pipelinePolicy, startPipelineApp, type PipelineApp } from '../../integration/pipelines/pipeline-harness.js';

const JITBOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'jitbot.js');

let github: FakeOidc;
let gitlab: FakeOidc;
let jit: PipelineApp;
let dir: string;

beforeAll(async () => {
  github = await new FakeOidc({ kind: 'github' }).start();
  gitlab = await new FakeOidc({ kind: 'gitlab' }).start();
  jit = await startPipelineApp({ github, gitlab });
  dir = mkdtempSync(path.join(tmpdir(), 'jitbot-cli-'));
});
afterAll(async () => {
  await jit?.stop();
  await github?.stop();
  await gitlab?.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `node bin/jitbot.js …` with a clean environment: only what a CI job would give it. */
function jitbot(args: string[], env: Record<string, string>): Promise<Run> {
  const base: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) if (process.env[name]) base[name] = process.env[name]!;
  const child = spawn(process.execPath, [JITBOT, ...args], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 80_000);
  return new Promise((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The environment of a GitHub Actions job with `permissions: id-token: write`. */
function githubJob(claims: Record<string, unknown> = {}, extra: Record<string, string> = {}): Record<string, string> {
  const { requestToken } = github.runner(FakeOidc.githubClaims(claims));
  return {
    JITBOT_URL: jit.url,
    JITBOT_OIDC_AUDIENCE: AUDIENCE,
    ACTIONS_ID_TOKEN_REQUEST_URL: github.tokenRequestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken,
    ...extra,
  };
}

/** The next request a pipeline makes (one not in `known`). */
async function nextRequest(requester: string, known: Set<string>): Promise<AccessRequest> {
  return waitFor(`a new request by ${requester}`, async () => (await jit.requestsOf(requester)).find((r) => !known.has(r.id) && r.status === 'pending'), 30_000, 100);
}

async function known(requester: string): Promise<Set<string>> {
  return new Set((await jit.requestsOf(requester)).map((r) => r.id));
}

describe('jitbot request exit codes', () => {
  it('exits 3 when the request is denied', async () => {
    const before = await known('pipeline:deployer');
    const running = jitbot(['request', '--resource', 'prod-db', '--reason', 'hotfix', '--wait', '--output-file', path.join(dir, 'never')], githubJob());
    const request = await nextRequest('pipeline:deployer', before);
    await jit.app.core.deny(person('bob'), request.id, 'use the maintenance window');
    const run = await running;
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('denied by bob: use the maintenance window');
  }, 90_000);

  it('exits 4 and withdraws the request when --timeout passes without a decision', async () => {
    const before = await known('pipeline:deployer');
    const running = jitbot(['request', '--resource', 'prod-db', '--wait', '--timeout', '3s', '--output-file', path.join(dir, 'never')], githubJob());
    const request = await nextRequest('pipeline:deployer', before);
    const run = await running;
    expect(run.code).toBe(4);
    expect((await jit.app.core.deps.store.get(request.id))?.status).toBe('cancelled');
  }, 90_000);

  it('exits 1 with a clear message when the job has no ID token, or no pipeline matches it', async () => {
    const noToken = await jitbot(['request', '--resource', 'prod-db', '--wait', '--output-file', '-'], { JITBOT_URL: jit.url, GITHUB_ACTIONS: 'true' });
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('id-token: write');
    const feature = await jitbot(['request', '--resource', 'prod-db'], githubJob({ ref: 'refs/heads/feature' }));
    expect(feature.code).toBe(1);
    expect(feature.stderr).toContain('unknown_pipeline');
  }, 90_000);
});

describe('a request nobody decides', () => {
  it('exits 4 when jitbot closes it as timed out', async () => {
    const quick = await startPipelineApp({ github, policy: pipelinePolicy({ settings: { approvalTimeout: '3s', reminderBefore: '1s', minDuration: '10s', reannounceAfter: '10m' } }) });
    try {
      const { requestToken } = github.runner(FakeOidc.githubClaims());
      const run = await jitbot(['request', '--resource', 'prod-db', '--wait', '--output-file', path.join(dir, 'never')], {
        JITBOT_URL: quick.url,
        JITBOT_OIDC_AUDIENCE: AUDIENCE,
        ACTIONS_ID_TOKEN_REQUEST_URL: github.tokenRequestUrl,
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
