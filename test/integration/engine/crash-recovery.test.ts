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
import { timing } from '../../support/timing.js';

const ROOT = path.join(import.meta.dirname, '..', '..', '..');
const children: ChildProcess[] = [];

/** Starts a worker process (real buildApp + BullMQ) that may kill itself at a fault point. */
async function startWorkerProcess(config: { redisUrl: string; prefix: string; oracleUrl: string; fault?: FaultPoint; lockDurationMs?: number }): Promise<ChildProcess> {
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
    const { request: r } = await app.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '6s', reason: 'crash test' });
    await app.core.approve(person('bob'), r.id);
    expect(await exited(crashing)).toBe('SIGKILL');
    expect(oracle.credentials.get(r.id)?.issueCalls).toBe(1);

    const restartedAt = Date.now();
    await startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, oracleUrl: oracle.url });
    const active = await waitFor('active after restart', async () => {
      const x = await app.store.get(r.id);
      return x?.status === 'active' ? x : undefined;
    }, 15_000);
    // The re-run called the issuer again with the same grant id: still one credential.
    expect([...oracle.credentials.values()].filter((c) => c.grantId === r.id)).toHaveLength(1);
    const ended = await waitFor('expired', async () => {
      const x = await app.store.get(r.id);
      return x?.status === 'expired' ? x : undefined;
    }, 20_000);
    const record = oracle.credentials.get(r.id)!;
    expect(record.revokedAt).toBeDefined();
    const overrun = record.revokedAt! - (active.status === 'active' ? active.window.end : 0);
    // On time: not before the end (the engine's early tolerance is 50 ms here), and once; how late is
    // a figure, held to a limit by test:timing.
    expect(overrun).toBeGreaterThanOrEqual(-50);
    expect(record.revokeCalls).toBe(1);
    timing('kill -9 after the issuer answered: revoked after the end', overrun, 3000);
    expect(ended.status).toBe('expired');
    timing('kill -9 after the issuer answered: worker restart to expired', Date.now() - restartedAt, 30_000);
    expect(await app.store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('kill -9 of a worker in the middle of a revoke: another worker finishes it within the stall window', async () => {
    const { app } = await webOnly();
    const crashing = await startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, oracleUrl: oracle.url, fault: 'mid_revoke' });
    const { request: r } = await app.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '2s', reason: 'crash test' });
    await app.core.approve(person('bob'), r.id);
    const active = await waitFor('active', async () => {
      const x = await app.store.get(r.id);
      return x?.status === 'active' ? x : undefined;
    }, 15_000);
    expect(await exited(crashing)).toBe('SIGKILL');
    expect((await app.store.get(r.id))?.status).toBe('revoking');
    await startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, oracleUrl: oracle.url });
    await waitFor('expired', async () => (await app.store.get(r.id))?.status === 'expired', 20_000);
    const record = oracle.credentials.get(r.id)!;
    const overrun = record.revokedAt! - (active.status === 'active' ? active.window.end : 0);
    expect(overrun).toBeGreaterThanOrEqual(-50);
    // Bound: the worker start plus lock duration (2 s) plus the stalled check (0.5 s) plus a little.
    timing('kill -9 mid-revoke: revoked after the end', overrun, 8000);
    expect(record.revokeCalls).toBe(1);
    expect(await app.store.verifyAudit()).toMatchObject({ ok: true });
  });
});

describe('several processes on one Redis', () => {
  let oracle: IssuerOracle;
  const webs: Engine[] = [];
  beforeAll(async () => {
    oracle = new IssuerOracle();
    await oracle.start();
  });
  afterAll(async () => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const w of webs.splice(0)) await w.stop();
    await oracle.stop();
  });

  it('two worker processes and two web instances, 500 concurrent lifecycles: each credential issued once and revoked once', async () => {
    const prefix = uniquePrefix('multi');
    webs.push(await startEngine({ prefix, worker: false, keepData: true }), await startEngine({ prefix, worker: false }));
    // The production lock (30 s): on a busy machine a 2 s lock can lapse while a job still runs, and
    // BullMQ then runs it again; this test is about two processes sharing the work, not stall recovery.
    await Promise.all([1, 2].map(() => startWorkerProcess({ redisUrl: inject('redisUrl'), prefix, oracleUrl: oracle.url, lockDurationMs: 30_000 })));
    const requests = await Promise.all(
      Array.from({ length: 500 }, (_, i) => webs[i % 2]!.app.core.requestAccess({ actor: person(i % 2 ? 'alice' : 'dave'), resource: 'deploy', duration: '2s', reason: `load ${i}` }).then((outcome) => outcome.request)),
    );
    // Both approvers click on both web instances at once; one of each pair may find it decided.
    await Promise.all(requests.flatMap((r, i) => [webs[i % 2]!.app.core.approve(person('bob'), r.id).catch(() => undefined), webs[(i + 1) % 2]!.app.core.approve(person('carol'), r.id).catch(() => undefined)]));
    const ids = new Set(requests.map((r) => r.id));
    const mine = () => [...oracle.credentials.values()].filter((c) => ids.has(c.grantId));
    await waitFor('all 500 revoked', () => mine().length === 500 && mine().every((c) => c.revokedAt !== undefined), 90_000, 200);
    expect(mine().every((c) => c.issueCalls === 1 && c.revokeCalls === 1)).toBe(true);
    const statuses = await webs[0]!.app.store.getMany([...ids]);
    expect(statuses.every((s) => s.status === 'expired')).toBe(true);
    expect(await webs[0]!.app.store.verifyAudit()).toMatchObject({ ok: true });
  }, 120_000);
});

describe('Redis killed and restarted with AOF between approval and the end', () => {
  it('still revokes on time', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitbot-aof-'));
    const redis = await RedisServerProcess.start({ dir, appendOnly: true, appendFsync: 'always' });
    const engine = await startEngine({ redisUrl: redis.url });
    try {
      const { core, store } = engine.app;
      const { request: r } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5s', reason: 'aof' });
      await core.approve(person('bob'), r.id);
      const active = await waitFor('active', async () => {
        const x = await store.get(r.id);
        return x?.status === 'active' ? x : undefined;
      });
      await redis.kill();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await redis.launch();
      await waitFor('expired', async () => (await store.get(r.id).catch(() => undefined))?.status === 'expired', 20_000);
      const record = engine.issuer.credentials.get(r.id)!;
      const overrun = record.revokedAt! - (active.status === 'active' ? active.window.end : 0);
      expect(overrun).toBeGreaterThanOrEqual(-50);
      timing('Redis restarted with AOF: revoked after the end', overrun, 4000);
      expect(record.revokeCalls).toBe(1);
      expect(await store.verifyAudit()).toMatchObject({ ok: true });
    } finally {
      await engine.stop().catch(() => undefined);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
