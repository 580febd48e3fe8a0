import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import type { AccessRequest } from '../../../src/core/domain/access-request.js';
import { waitFor } from '../../support/engine.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';
import { AUDIENCE, startPipelineApp, type PipelineApp } from '../../integration/pipelines/pipeline-harness.js';

// What the `jitbot request` e2e files share: a pipeline-enabled jitbot, local GitHub and GitLab OIDC
// issuers, and the CLI run as a CI job would run it. Call useCliHarness() at the top of a file.

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliHarness {
  readonly jit: PipelineApp;
  readonly github: FakeOidc;
  readonly gitlab: FakeOidc;
  /** A scratch directory for credential and id files. */
  readonly dir: string;
  jitbot(args: string[], env: Record<string, string>): Promise<Run>;
  githubJob(claims?: Record<string, unknown>, extra?: Record<string, string>): Record<string, string>;
  nextRequest(requester: string, known: Set<string>): Promise<AccessRequest>;
  known(requester: string): Promise<Set<string>>;
}

export function useCliHarness(): CliHarness {
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

  return {
    get jit() {
      return jit;
    },
    get github() {
      return github;
    },
    get gitlab() {
      return gitlab;
    },
    get dir() {
      return dir;
    },
    jitbot,
    githubJob,
    nextRequest,
    known,
  };
}
