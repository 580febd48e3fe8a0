import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { decodeJwt, createLocalJWKSet, jwtVerify } from 'jose';
import { buildApp, type JitbotApp } from '../../../src/app/build-app.js';
import { openRedis } from '../../../src/app/redis-connection.js';
import { createSecretBox } from '../../../src/app/secret-box.js';
import { scrub } from '../../../src/app/logger.js';
import { silentLogger } from '../../../src/core/ports/logger.js';
import { PolicySchema } from '../../../src/core/policy/policy-schema.js';
import { builtinIssuerFactories } from '../../../src/issuers/registry.js';
import { RedisServerProcess } from '../../../src/store/redis/redis-server-process.js';
import { RecordingNotifier } from '../../fakes/recording-notifier.js';
import { person, startEngine, waitFor, type Engine } from '../../support/engine.js';
import { deleteByPrefix, uniquePrefix } from '../../support/redis.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

describe('reconciliation', () => {
  it('recreates a lost revoke job and revokes an overdue grant as soon as a worker starts', async () => {
    const prefix = uniquePrefix('rec');
    const first: Engine = await startEngine({ prefix, keepData: true });
    const { core, store } = first.app;
    const { request: lost } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'lost job' });
    await core.approve(person('bob'), lost.id);
    const { request: overdue } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '2s', reason: 'overdue' });
    await core.approve(person('bob'), overdue.id);
    await waitFor('both active', async () => (await store.getMany([lost.id, overdue.id])).every((r) => r.status === 'active'));
    await first.app.stop();
    // Delete the revoke jobs by hand, as a lost write or a bad restore would.
    const { Redis } = await import('ioredis');
    const redis = new Redis(inject('redisUrl'));
    for (const id of [lost.id, overdue.id]) {
      const keys = await redis.keys(`${prefix}bull:revoke:revoke-${id}*`);
      await redis.del(...keys);
      await redis.zrem(`${prefix}bull:revoke:delayed`, `revoke-${id}`);
      expect(await redis.exists(`${prefix}bull:revoke:revoke-${id}`)).toBe(0);
      expect(await redis.zscore(`${prefix}bull:revoke:delayed`, `revoke-${id}`)).toBeNull();
    }
    redis.disconnect();
    await new Promise((resolve) => setTimeout(resolve, 2500));

    const second = await startEngine({ prefix, issuer: first.issuer });
    cleanups.push(() => second.stop());
    expect(await second.app.scheduler.hasJob('revoke', lost.id)).toBe(true);
    await waitFor('overdue revoked', async () => (await second.app.store.get(overdue.id))?.status === 'expired', 10_000);
    expect((await second.app.store.get(lost.id))?.status).toBe('active');
  });
});

describe('reconciliation passes', () => {
  it('a frequent pass checks only grants ending soon; a full pass checks them all, in pipelined batches', async () => {
    const e = await startEngine({ workerTimings: { reconcileEveryMs: 60_000 } });
    cleanups.push(() => e.stop());
    const { core, store } = e.app;
    const { request: soon } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '20s', reason: 'soon' });
    const { request: later } = await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '50m', reason: 'later' });
    for (const r of [soon, later]) await core.approve(person('bob'), r.id);
    await waitFor('both active', async () => (await store.getMany([soon.id, later.id])).every((r) => r.status === 'active'));
    for (const r of [soon, later]) await (await e.app.scheduler.queues.revoke.getJob(`revoke-${r.id}`))!.remove();
    expect(await e.app.scheduler.hasJobs('revoke', [soon.id, later.id])).toEqual([false, false]);

    const due = await core.jobs.reconcile({ scope: 'due', horizonMs: 60_000 });
    expect(due).toMatchObject({ scope: 'due', checkedGrants: 1, missingRevokeJobs: 1 });
    expect(await e.app.scheduler.hasJobs('revoke', [soon.id, later.id])).toEqual([true, false]);
    const full = await core.jobs.reconcile({ scope: 'full' });
    expect(full).toMatchObject({ scope: 'full', checkedGrants: 2, missingRevokeJobs: 1 });
    expect(await e.app.scheduler.hasJobs('revoke', [soon.id, later.id])).toEqual([true, true]);
  });
});

describe('Redis settings checked at start', () => {
  it('refuses a Redis that may evict keys, and warns when AOF is off', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitbot-evict-'));
    const server = await RedisServerProcess.start({ dir, appendOnly: false });
    cleanups.push(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (_f: Record<string, unknown>, m: string) => void warnings.push(m) };
    const ok = await openRedis({ url: server.url, dataDir: dir, log });
    await ok.close();
    expect(warnings.join('\n')).toMatch(/appendonly is off/);
    const { Redis } = await import('ioredis');
    const admin = new Redis(server.url);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');
    admin.disconnect();
    await expect(openRedis({ url: server.url, dataDir: dir, log })).rejects.toThrow(/noeviction/);
  });
});

describe('HTTP endpoints of a running app', () => {
  it('serves /healthz, /readyz, /metrics, the JWKS and RFC 7662 introspection; tokens reach the DM only', async () => {
    const prefix = uniquePrefix('http');
    const dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-http-'));
    const policy = PolicySchema.parse({
      version: 1,
      settings: { minDuration: '1s', reminderBefore: '1s' },
      people: { alice: {}, bob: {} },
      groups: { sre: ['bob'] },
      issuers: { tokens: { type: 'jwt', issuer: 'jitbot-test', introspectionToken: 'introspect-secret-0123456789' } },
      resources: { deploy: { issuer: 'tokens', approvers: ['group:sre'], maxDuration: '1h', reason: 'optional', params: { claims: { scope: 'deploy' } } } },
    });
    const app: JitbotApp = await buildApp({
      policy,
      issuerFactories: builtinIssuerFactories(),
      log: silentLogger,
      redisUrl: inject('redisUrl'),
      dataDir,
      prefix,
      web: { host: '127.0.0.1', port: 0 },
      worker: true,
      retry: { baseMs: 20, capMs: 200 },
    });
    const notifier = new RecordingNotifier();
    app.addNotifier(notifier);
    await app.start();
    cleanups.push(async () => {
      await app.stop();
      const { Redis } = await import('ioredis');
      const redis = new Redis(inject('redisUrl'));
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
      rmSync(dataDir, { recursive: true, force: true });
    });
    const base = `http://127.0.0.1:${app.port}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { redis: true, policy: true, workers: true } });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
    const big = await fetch(`${base}/v1/introspect`, { method: 'POST', body: 'x'.repeat(300 * 1024) }).catch(() => undefined);
    expect(big === undefined || big.status === 413).toBe(true);

    const { request: r } = await app.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '30m', reason: '' });
    await app.core.approve(person('bob'), r.id);
    const dm = await waitFor('token DM', () => notifier.dmsTo('alice', 'active')[0]);
    const token = dm.message.secret!.value;
    const jwks = createLocalJWKSet((await (await fetch(`${base}/.well-known/jwks.json`)).json()) as Parameters<typeof createLocalJWKSet>[0]);
    const { payload } = await jwtVerify(token, jwks, { issuer: 'jitbot-test', audience: 'deploy' });
    expect(payload).toMatchObject({ sub: 'alice', jti: r.id, scope: 'deploy' });
    expect(payload.exp! - payload.nbf!).toBe(30 * 60);
    // The token is in the DM only: not on the card, not in the audit trail, not in Redis.
    expect(JSON.stringify(notifier.cards.get(r.id))).not.toContain(token);
    const audit = JSON.stringify(await app.store.auditOf(r.id));
    expect(audit).not.toContain(token);
    expect(audit).not.toContain(token.split('.')[2]);

    const introspect = (auth: string | undefined, body: string) =>
      fetch(`${base}/v1/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...(auth ? { authorization: auth } : {}) }, body });
    expect((await introspect(undefined, `token=${token}`)).status).toBe(401);
    expect((await introspect('Bearer wrong-secret-xxxxxxxxxxxx', `token=${token}`)).status).toBe(401);
    const active = await introspect('Bearer introspect-secret-0123456789', `token=${token}`);
    expect(await active.json()).toMatchObject({ active: true, sub: 'alice', jti: r.id });
    // An extension re-issues the token with the new exp (same jti), by DM.
    await app.core.extend(person('alice'), r.id, '10m', 'more time');
    await app.core.approve(person('bob'), r.id);
    const extendedDm = await waitFor('extended token DM', () => notifier.dmsTo('alice', 'extension_approved')[0]);
    const extended = decodeJwt(extendedDm.message.secret!.value);
    expect(extended.jti).toBe(r.id);
    expect(extended.exp! - payload.exp!).toBe(10 * 60);
    await app.core.release(person('alice'), r.id);
    await waitFor('released', async () => (await app.store.get(r.id))?.status === 'released');
    expect(await (await introspect('Bearer introspect-secret-0123456789', `token=${token}`)).json()).toEqual({ active: false });
    expect(decodeJwt(token).jti).toBe(r.id);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/jitbot_approvals_total 2/);
    expect(metrics).toMatch(/jitbot_revocation_lateness_seconds_count 1/);
    expect(metrics).toMatch(/jitbot_active_grants 0/);
  });
});

describe('secrets', () => {
  it('seals secrets with AES-256-GCM under a key kept 0600, and rejects tampering', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jitbot-box-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const box = createSecretBox({ dataDir: dir });
    const sealed = box.seal('hunter2-token');
    expect(sealed).not.toContain('hunter2');
    expect(createSecretBox({ dataDir: dir }).open(sealed)).toBe('hunter2-token');
    expect(statSync(path.join(dir, 'secret-box.key')).mode & 0o777).toBe(0o600);
    const tampered = sealed.slice(0, -2) + (sealed.endsWith('A') ? 'BB' : 'AA');
    expect(() => box.open(tampered)).toThrow();
  });

  it('log scrubbing removes known secrets and token-shaped strings anywhere in a log line', () => {
    const line = scrub(
      { msg: 'calling with xoxb-123-456-abcdef and Bearer abc.def.ghi', nested: { value: 'my-policy-secret-value', jwt: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl' } },
      ['my-policy-secret-value'],
    );
    const text = JSON.stringify(line);
    expect(text).not.toMatch(/xoxb-123|my-policy-secret-value|eyJhbGci|abc\.def\.ghi/);
    expect(text).toContain('[redacted]');
  });
});
