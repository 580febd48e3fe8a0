import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AccessRequest } from '../../../src/core/domain/access-request.js';
import { JitError } from '../../../src/core/domain/errors.js';
import type { LimitCheck } from '../../../src/core/policy/request-limits.js';
import { RedisRequestStore } from '../../../src/store/redis/redis-request-store.js';
import { person, startEngine, testPolicy, waitFor, type Engine } from '../../support/engine.js';
import { deleteByPrefix, uniquePrefix } from '../../support/redis.js';

// The limits on real Redis: the check runs in the commit script that creates the request, so a
// concurrent burst cannot overshoot; open counts follow the request's state.

let redis: Redis;
const prefixes: string[] = [];
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: 2 });
});
afterAll(async () => {
  for (const p of prefixes) await deleteByPrefix(redis, p);
  redis.disconnect();
});

function freshStore(): RedisRequestStore {
  const prefix = uniquePrefix('lim');
  prefixes.push(prefix);
  return new RedisRequestStore(redis, prefix);
}

function pending(id: string, at: number, requester = 'alice', resource = 'deploy'): AccessRequest {
  return { id, resource, requester, durationMs: 60_000, reason: 'x', createdAt: at, version: 0, via: 'console', approvalsRequired: 1, approvals: [], status: 'pending', timeoutAt: at + 60_000 };
}

const audit = (id: string) => ({ type: 'request.created', requestId: id, actor: { kind: 'system' as const }, data: {} });

async function attempt(store: RedisRequestStore, request: AccessRequest, limits: LimitCheck[]): Promise<'created' | JitError> {
  try {
    await store.create(request, audit(request.id), limits);
    return 'created';
  } catch (error) {
    if (error instanceof JitError) return error;
    throw error;
  }
}

describe('request limits in the store (one atomic step with the create)', () => {
  it('a concurrent burst of 500 creates exactly the open limit, and nothing of the rest is written', async () => {
    const store = freshStore();
    const now = Date.now();
    const limits: LimitCheck[] = [{ kind: 'open', scope: 'requester', limit: 5 }, { kind: 'perMinute', scope: 'requester', limit: 100_000 }];
    const results = await Promise.all(Array.from({ length: 500 }, (_, i) => attempt(store, pending(`JIT-${i + 1}`, now), limits)));
    const created = results.filter((r) => r === 'created');
    const refused = results.filter((r): r is JitError => r !== 'created');
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(495);
    expect(new Set(refused.map((e) => e.code))).toEqual(new Set(['POLICY.LIMIT_REACHED']));
    expect(refused[0]!.details).toEqual({ check: 0, count: 5, retryAfterMs: 0 });
    expect(await store.listByRequester('alice', 1000)).toHaveLength(5);
    expect(await store.listByStatus('pending', 1000)).toHaveLength(5);
    // Only the five creations reached the audit trail.
    expect((await store.verifyAudit()).events).toBe(5);
  });

  it('a concurrent burst over the per-minute limit creates exactly that many, and says when there is room again', async () => {
    const store = freshStore();
    const now = Date.now();
    const limits: LimitCheck[] = [{ kind: 'open', scope: 'requester', limit: 10_000 }, { kind: 'perMinute', scope: 'requester', limit: 10 }];
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => attempt(store, pending(`JIT-${i + 1}`, now), limits)));
    expect(results.filter((r) => r === 'created')).toHaveLength(10);
    const refusal = results.find((r): r is JitError => r !== 'created');
    expect(refusal?.details).toEqual({ check: 1, count: 10, retryAfterMs: 60_000 });
  });

  it('the per-minute window slides: room returns when the oldest request is a minute old', async () => {
    const store = freshStore();
    const t0 = Date.now();
    const limits: LimitCheck[] = [{ kind: 'perMinute', scope: 'requester', limit: 3 }];
    for (const [i, at] of [t0, t0 + 1000, t0 + 2000].entries()) expect(await attempt(store, pending(`JIT-${i + 1}`, at), limits)).toBe('created');
    const refused = await attempt(store, pending('JIT-4', t0 + 18_000), limits);
    expect(refused).toBeInstanceOf(JitError);
    expect((refused as JitError).details).toEqual({ check: 0, count: 3, retryAfterMs: 42_000 });
    expect(await attempt(store, pending('JIT-5', t0 + 60_000), limits)).toBe('created');
    // Someone else has a window of their own.
    expect(await attempt(store, pending('JIT-6', t0 + 60_000, 'bob'), limits)).toBe('created');
  });

  it('open counts drop when a request is decided, cancelled, timed out, ended or failed, not while it waits or holds access', async () => {
    const store = freshStore();
    const now = Date.now();
    const limits: LimitCheck[] = [{ kind: 'open', scope: 'requester', limit: 1 }];
    const first = await store.create(pending('JIT-1', now), audit('JIT-1'), limits);
    expect(await attempt(store, pending('JIT-2', now), limits)).toBeInstanceOf(JitError);
    const approved = await store.update(first, { ...first, status: 'approved', decidedAt: now } as AccessRequest, audit('JIT-1'));
    const active = await store.update(approved, { ...approved, status: 'active', window: { start: now, end: now + 60_000 }, receipt: { summary: '', details: {}, revokeState: {} }, extensions: [] } as AccessRequest, audit('JIT-1'));
    expect(await attempt(store, pending('JIT-3', now), limits)).toBeInstanceOf(JitError);
    await store.update(active, { ...active, status: 'revoking', endReason: 'released', endedBy: { kind: 'system' }, endRequestedAt: now, revokeAttempts: 0 } as AccessRequest, audit('JIT-1'));
    const second = await store.create(pending('JIT-4', now), audit('JIT-4'), limits);
    await store.update(second, { ...second, status: 'cancelled', cancelledAt: now } as AccessRequest, audit('JIT-4'));
    const third = await store.create(pending('JIT-5', now), audit('JIT-5'), limits);
    await store.update(third, { ...third, status: 'denied', decidedAt: now, deniedBy: 'bob', denyReason: 'no' } as AccessRequest, audit('JIT-5'));
    expect(await attempt(store, pending('JIT-6', now), limits)).toBe('created');
  });

  it('a resource-scoped limit counts that resource’s requests only', async () => {
    const store = freshStore();
    const now = Date.now();
    const deployOnly: LimitCheck[] = [{ kind: 'open', scope: 'resource', limit: 1 }];
    expect(await attempt(store, pending('JIT-1', now, 'alice', 'db'), deployOnly)).toBe('created');
    expect(await attempt(store, pending('JIT-2', now, 'alice', 'deploy'), deployOnly)).toBe('created');
    expect(await attempt(store, pending('JIT-3', now, 'alice', 'deploy'), deployOnly)).toBeInstanceOf(JitError);
    expect(await attempt(store, pending('JIT-4', now, 'alice', 'deploy'), [{ kind: 'open', scope: 'requester', limit: 3 }])).toBe('created');
  });
});

describe('request limits in the core', () => {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
  });

  const limitedPolicy = (limits: Record<string, number>, deployLimits?: Record<string, number>) =>
    testPolicy({
      settings: { approvalTimeout: '30s', reminderBefore: '1s', minDuration: '1s', reannounceAfter: '10s', limits },
      resources: { ...structuredClone(rawResources), ...(deployLimits ? { deploy: { ...rawResources.deploy, limits: deployLimits } } : {}) },
    });

  it('a burst of 100 from one person creates 5, posts 5 cards, and refuses the rest privately with the limit, audited once', async () => {
    engine = await startEngine({ policy: limitedPolicy({ openPerRequester: 5, requestsPerMinute: 1000 }) });
    const { core, store } = engine.app;
    const results = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5m', reason: `burst ${i}` })));
    const created = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as JitError);
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(95);
    expect(refused[0]!.message).toBe('You have 5 open requests (the limit is 5); finish or cancel one (/jit list shows them), then ask again.');
    const mine = await store.listByRequester('alice', 1000);
    expect(mine).toHaveLength(5);
    const ids = new Set(mine.map((r) => r.id));
    await waitFor('the five cards and received DMs', () => engine!.notifier.cards.size === 5 && engine!.notifier.dmsTo('alice').length === 5);
    // Give stray jobs (there must be none) time to show up.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(new Set(engine.notifier.cards.keys())).toEqual(ids);
    expect(new Set(engine.notifier.dms.map((d) => d.message.requestId))).toEqual(ids);
    const limited: unknown[] = [];
    for await (const event of store.exportAudit()) if (event.type === 'request.limited') limited.push(event);
    expect(limited).toHaveLength(1);

    // Cancelling one makes room for one more.
    await core.cancel(person('alice'), mine[0]!.id);
    await core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5m', reason: 'room again' });
    await expect(core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '5m', reason: 'full again' })).rejects.toThrow('You have 5 open requests');
    // Others are not affected.
    await core.requestAccess({ actor: person('dave'), resource: 'deploy', duration: '5m', reason: 'mine' });
  });

  it('the per-minute limit says when to try again; a resource’s own limits replace the settings for it', async () => {
    engine = await startEngine({ policy: limitedPolicy({ openPerRequester: 100, requestsPerMinute: 2 }, { openPerRequester: 1 }) });
    const { core } = engine.app;
    const ask = (resource: string) => core.requestAccess({ actor: person('alice'), resource, duration: '5m', reason: 'x' });
    await ask('deploy');
    await expect(ask('deploy')).rejects.toThrow('You have 1 open deploy request (the limit for deploy); finish or cancel one (/jit list shows them), then ask again.');
    await ask('auto');
    await expect(ask('auto')).rejects.toThrow(/^2 requests a minute is the limit; try again in (59|60) s\.$/);
  });

  it('a pipeline principal has its own open limit, whichever run asks', async () => {
    const policy = testPolicy({
      settings: { minDuration: '1s', limits: { openPerRequester: 100, openPerPipeline: 2, requestsPerMinute: 100 } },
      pipelines: { ci: { provider: 'github', claims: { repository: 'acme/app' } } },
      resources: { ...structuredClone(rawResources), deploy: { ...rawResources.deploy, requesters: ['pipeline:ci', 'alice'] } },
    });
    engine = await startEngine({ policy });
    const { core } = engine.app;
    const ask = (run: number) =>
      core.requestAccess({
        actor: { kind: 'pipeline', pipeline: 'pipeline:ci', via: 'api' },
        resource: 'deploy',
        duration: '5m',
        reason: 'ci',
        pipeline: { source: 'oidc', provider: 'github', issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:acme/app', repository: 'acme/app', runId: String(run) },
      });
    await ask(1);
    await ask(2);
    await expect(ask(3)).rejects.toThrow('pipeline:ci has 2 open requests (the limit is 2); release one (jitbot release) or wait until one ends, then ask again.');
  });
});

const rawResources = {
  deploy: { description: 'Deploy to prod', issuer: 'fake', approvers: ['group:sre'], approvals: 1, defaultDuration: '2s', maxDuration: '1h', reason: 'optional', channel: { slack: 'C0APPROVALS' } },
  'two-keys': { issuer: 'fake', approvers: ['group:leads'], approvals: 2, maxDuration: '1h', reason: 'required' },
  auto: { issuer: 'fake', approvers: ['group:sre'], maxDuration: '1h', reason: 'optional', autoApprove: [{ requesters: ['alice'], maxDuration: '30m' }] },
};
