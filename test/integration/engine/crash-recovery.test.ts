import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { RedisServerProcess } from '../../../src/store/redis/redis-server-process.js';
import { IssuerOracle } from '../../fakes/issuer-oracle.js';
import type { FaultPoint } from '../../fakes/http-oracle-issuer.js';
import { person, startEngine, waitFor, type Engine } from '../../support/engine.js';
import { uniquePrefix } from '../../support/redis.js';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const children: ChildProcess[] = [];

/** Starts a worker process (real buildApp + BullMQ) that may kill itself at a fault point. */
async function startWorkerProcess(config: { redisUrl: string; prefix: string; oracleUrl: string; fault?: FaultPoint }): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['bin/run-ts.js', 'test/support/engine-process.ts'], {
    cwd: ROOT,
    env: { ...process.env, ENGINE_PROCESS_CONFIG: JSON.stringify({ ...config, worker: true }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`worker process exited (${code}) before ready: ${err}`)));
  });
  return child;
}

const exited = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | number | null>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(child.signalCode ?? child.exitCode) : child.once('exit', (code, signal) => resolve(signal ?? code))));

describe('crash recovery with worker processes and a far-side oracle', () => {
  let oracle: IssuerOracle;
  let web: Engine;
  let prefix: string;

  beforeAll(async () => {
    oracle = new IssuerOracle();
    await oracle.start();
  });
  afterAll(async () => oracle.stop());
  afterEach(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await web?.stop();
  });

  async function webOnly(): Promise<Engine> {
    prefix = uniquePrefix('crash');
    web = await startEngine({ prefix, worker: false });
    return web;
  }

  it('kill -9 of a worker right after the issuer answered: issued once, active after restart, revoked on time', async () => {
    const { app } = await webOnly();
    const crashing = await startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, oracleUrl: oracle.url, fault: 'after_issuer_call' });
    const r = await app.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '6s', reason: 'crash test' });
    await app.core.approve(person('bob'), r.id);
    expect(await exited(crashing)).toBe('SIGKILL');
    expect(oracle.credentials.get(r.id)?.issueCalls).toBe(1);

    const restartedAt = Date.now();
    await startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, oracleUrl: oracle.url });
    const active = await waitFor('active after restart', async () => {
      const x = await app.core.deps.store.get(r.id);
      return x?.status === 'active' ? x : undefined;
    }, 15_000);
    // The re-run called the issuer again with the same grant id: still one credential.
    expect([...oracle.credentials.values()].filter((c) => c.grantId === r.id)).toHaveLength(1);
    const ended = await waitFor('expired', async () => {
      const x = await app.core.deps.store.get(r.id);
      return x?.status === 'expired' ? x : undefined;
    }, 20_000);
    const record = oracle.credentials.get(r.id)!;
    expect(record.revokedAt).toBeDefined();
    const overrun = record.revokedAt! - (active.status === 'active' ? active.window.end : 0);
    expect(overrun).toBeLessThan(3000);
    expect(ended.status).toBe('expired');
    expect(Date.now() - restartedAt).toBeLessThan(30_000);
    expect(await app.core.deps.store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('kill -9 of a worker in the middle of a revoke: another worker finishes it within the stall window', async () => {
    const { app } = await webOnly();
    const crashing = await startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, oracleUrl: oracle.url, fault: 'mid_revoke' });
    const r = await app.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '2s', reason: 'crash test' });
    await app.core.approve(person('bob'), r.id);
    const active = await waitFor('active', async () => {
      const x = await app.core.deps.store.get(r.id);
      return x?.status === 'active' ? x : undefined;
    }, 15_000);
    expect(await exited(crashing)).toBe('SIGKILL');
    expect((await app.core.deps.store.get(r.id))?.status).toBe('revoking');
    await startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, oracleUrl: oracle.url });
    await waitFor('expired', async () => (await app.core.deps.store.get(r.id))?.status === 'expired', 20_000);
    const record = oracle.credentials.get(r.id)!;
    const overrun = record.revokedAt! - (active.status === 'active' ? active.window.end : 0);
    // Bound: the worker start plus lock duration (2 s) plus the stalled check (0.5 s) plus a little.
    expect(overrun).toBeLessThan(8000);
    expect(record.revokeCalls).toBe(1);
    expect(await app.core.deps.store.verifyAudit()).toMatchObject({ ok: true });
  });
});

describe('Redis killed and restarted with AOF between approval and the end', () => {
  it('still revokes on time', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitbot-aof-'));
    const redis = await RedisServerProcess.start({ dir, appendOnly: true, appendFsync: 'always' });
    const engine = await startEngine({ redisUrl: redis.url });
    try {
      const { core } = engine.app;
      const r = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5s', reason: 'aof' });
      await core.approve(person('bob'), r.id);
      const active = await waitFor('active', async () => {
        const x = await core.deps.store.get(r.id);
        return x?.status === 'active' ? x : undefined;
      });
      await redis.kill();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await redis.launch();
      await waitFor('expired', async () => (await core.deps.store.get(r.id).catch(() => undefined))?.status === 'expired', 20_000);
      const record = engine.issuer.credentials.get(r.id)!;
      const overrun = record.revokedAt! - (active.status === 'active' ? active.window.end : 0);
      expect(overrun).toBeLessThan(4000);
      expect(record.revokeCalls).toBe(1);
      expect(await core.deps.store.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      await engine.stop().catch(() => undefined);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
