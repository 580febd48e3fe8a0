import { describe, expect, it } from 'vitest';
import { PolicySchema } from '../../../../src/core/policy/policy-schema.js';
import { memoryCore, person, type MemoryCore } from '../../../support/memory-core.js';

// The queries adapters ask core instead of reading the store or the policy themselves.

async function activeGrant(m: MemoryCore, who = 'alice') {
  const { request: r } = await m.core.requestAccess({ actor: person(who), resource: 'deploy', duration: '1h', reason: 'x' });
  await m.core.approve(person('carol'), r.id);
  await m.scheduler.runDue();
  return m.get(r.id);
}

const verbs = (actions: { id: string }[]) => actions.map((a) => a.id);

describe('a request as one viewer sees it', () => {
  it('offers approve and deny to an approver it waits on, cancel to its requester, nothing to anyone else', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    const forBob = await m.core.requestForViewer(r, 'bob');
    expect(forBob.request).toBe(r);
    expect(forBob.card.requestId).toBe(r.id);
    expect(verbs(forBob.actions)).toEqual(['approve', 'deny']);
    expect(verbs((await m.core.requestForViewer(r, 'alice')).actions)).toEqual(['cancel']);
    expect((await m.core.requestForViewer(r, 'erin')).actions).toEqual([]);
  });

  it('offers extend and release to the requester of an active grant, and approvers nothing once it is decided', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    expect(active.status).toBe('active');
    expect(verbs((await m.core.requestForViewer(active, 'alice')).actions)).toEqual(['extend', 'release']);
    expect((await m.core.requestForViewer(active, 'bob')).actions).toEqual([]);
  });

  it('finds a stored request, and nothing for an unknown id', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    expect((await m.core.findRequest(r.id))?.id).toBe(r.id);
    expect(await m.core.findRequest('JIT-999')).toBeUndefined();
  });

  it('refuses a decision to the requester and to someone who is not an approver, with the policy error', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    expect(() => m.core.checkMayDecide('alice', r)).toThrow(expect.objectContaining({ code: 'POLICY.SELF_APPROVAL' }));
    expect(() => m.core.checkMayDecide('erin', r)).toThrow(expect.objectContaining({ code: 'POLICY.NOT_APPROVER' }));
    expect(() => m.core.checkMayDecide('bob', r)).not.toThrow();
  });
});

describe("a person's home", () => {
  it('lists their requests, splits out grants and pending ones, and what waits on them', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    const { request: pending } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'y' });
    const { request: others } = await m.core.requestAccess({ actor: person('dave'), resource: 'deploy', duration: '1h', reason: 'z' });
    const alice = await m.core.home('alice');
    expect(alice.person).toBe('alice');
    expect(alice.requests.map((r) => r.id)).toEqual([pending.id, active.id]);
    expect(alice.grants.map((r) => r.id)).toEqual([active.id]);
    expect(alice.pending.map((r) => r.id)).toEqual([pending.id]);
    expect(alice.waitingOn).toEqual([]);
    expect((await m.core.home('bob')).waitingOn.map((r) => r.id)).toEqual([pending.id, others.id]);
  });
});

describe('a request form, checked field by field', () => {
  it('finds nothing wrong with a good form', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    expect(m.core.validateRequestForm('alice', { resource: 'deploy', duration: '1h', reason: '' })).toEqual({});
    expect(m.core.validateRequestForm('alice', { resource: 'deploy', duration: '', reason: '' })).toEqual({});
  });

  it('names the field at fault with the policy error a typed command would get', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const badDuration = m.core.validateRequestForm('alice', { resource: 'deploy', duration: '9h', reason: '' });
    expect(Object.keys(badDuration)).toEqual(['duration']);
    expect(badDuration.duration?.code).toBe('POLICY.DURATION_OUT_OF_RANGE');
    await expect(m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '9h', reason: '' })).rejects.toThrow(badDuration.duration!.message);

    const noReason = m.core.validateRequestForm('carol', { resource: 'two-keys', duration: '1h', reason: '  ' });
    expect(Object.keys(noReason)).toEqual(['reason']);
    const both = m.core.validateRequestForm('carol', { resource: 'two-keys', duration: 'soon', reason: '' });
    expect(Object.keys(both).sort()).toEqual(['duration', 'reason']);
  });

  it('judges duration and reason only against a resource the person may request', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    for (const resource of ['nope', '__proto__', 'constructor']) {
      const problems = m.core.validateRequestForm('alice', { resource, duration: 'soon', reason: '' });
      expect(Object.keys(problems)).toEqual(['resource']);
      expect(problems.resource?.code).toBe('POLICY.UNKNOWN_RESOURCE');
    }
  });
});

describe('policy lookups and operator queries', () => {
  it('answers who people are and where cards go from the current policy', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    expect(m.core.policy.people().map((p) => p.name)).toEqual(['alice', 'bob', 'carol', 'dave', 'erin']);
    expect(m.core.policy.person('alice')).toMatchObject({ name: 'alice', slack: 'U0ALICE', email: 'alice@example.com' });
    expect(m.core.policy.person('__proto__')).toBeUndefined();
    expect(m.core.policy.resourceChannel('deploy', 'slack')).toBe('C0APPROVALS');
    expect(m.core.policy.resourceChannel('deploy', 'teams')).toBeUndefined();
    expect(m.core.policy.resourceChannel('constructor', 'slack')).toBeUndefined();
    expect(m.core.policy.deploymentGate('acme/app', 'production')).toBeUndefined();
  });

  it('lists requests by state and the grants that hold access, and reads the audit trail', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const active = await activeGrant(m);
    const { request: pending } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'y' });
    expect((await m.core.operator.grantsHoldingAccess()).map((r) => r.id)).toEqual([active.id]);
    expect((await m.core.operator.requestsInStatus(['pending', 'active'], 10)).map((r) => r.id)).toEqual([pending.id, active.id]);
    const events = [];
    for await (const event of m.core.operator.exportAudit()) events.push(event.type);
    expect(events).toContain('request.created');
    expect(await m.core.operator.verifyAudit()).toMatchObject({ ok: true, events: events.length });
  });
});

describe('pipeline requests', () => {
  const policy = PolicySchema.parse({
    version: 1,
    people: { bob: { slack: 'U0BOB' } },
    pipelines: {
      deployer: { provider: 'github', claims: { repository: 'acme/app', ref: 'refs/heads/main' } },
      any: { provider: 'github', claims: { repository: 'acme/*' } },
    },
    issuers: { fake: { type: 'none' } },
    resources: {
      db: { issuer: 'fake', requesters: ['pipeline:deployer'], approvers: ['bob'], maxDuration: '1h' },
      cache: { issuer: 'fake', requesters: ['pipeline:any'], approvers: ['bob'], maxDuration: '1h' },
    },
  });
  const main = { provider: 'github' as const, claims: { repository: 'acme/app', ref: 'refs/heads/main' } };

  it('matches a run to the first pipeline that may ask for the resource, else to its first match', async () => {
    expect.hasAssertions();
    const m = memoryCore({ policy });
    expect(m.core.pipelines.requester(main, 'db')).toBe('pipeline:deployer');
    expect(m.core.pipelines.requester(main, 'cache')).toBe('pipeline:any');
    expect(m.core.pipelines.requester(main, 'nope')).toBe('pipeline:deployer');
    expect(m.core.pipelines.requester({ provider: 'gitlab', claims: main.claims }, 'db')).toBeUndefined();
    expect(m.core.pipelines.requester({ provider: 'github', claims: { repository: 'other/app' } }, 'db')).toBeUndefined();
    expect(m.core.pipelines.stillMatches('pipeline:deployer', main)).toBe(true);
    expect(m.core.pipelines.stillMatches('pipeline:deployer', { provider: 'github', claims: { repository: 'acme/app', ref: 'refs/heads/dev' } })).toBe(false);
    expect(m.core.pipelines.stillMatches('pipeline:__proto__', main)).toBe(false);
    expect(m.core.pipelines.stillMatches('deployer', main)).toBe(false);
  });

  it('lets one create run per idempotency scope and finds its request for the replays', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    expect(await m.core.pipelines.earlierRequest('scope-1')).toBeUndefined();
    expect(await m.core.pipelines.claimRequest('scope-1')).toBe(true);
    expect(await m.core.pipelines.claimRequest('scope-1')).toBe(false);
    expect(await m.core.pipelines.claimRequest('scope-2')).toBe(true);
    await m.core.pipelines.rememberRequest('scope-1', r.id);
    expect((await m.core.pipelines.earlierRequest('scope-1'))?.id).toBe(r.id);
    expect(await m.core.pipelines.earlierRequest('scope-2')).toBeUndefined();
  });

  it('a read waits for the next version, returns at once for a final request, and gives up when aborted', async () => {
    expect.hasAssertions();
    const m = memoryCore();
    const { request: r } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'x' });
    const reading = m.core.pipelines.read(r, { since: r.version, timeoutMs: 5000, everyMs: 5 });
    await m.core.cancel(person('alice'), r.id);
    const read = await reading;
    expect(read.request.status).toBe('cancelled');
    expect(read.pickup).toBeUndefined();
    expect((await m.core.pipelines.read(read.request, { since: read.request.version, timeoutMs: 60_000, everyMs: 5 })).request.version).toBe(read.request.version);

    const { request: other } = await m.core.requestAccess({ actor: person('alice'), resource: 'deploy', duration: '1h', reason: 'y' });
    const controller = new AbortController();
    const waiting = m.core.pipelines.waitFor(other.id, (now) => now.status === 'active', { timeoutMs: 60_000, everyMs: 5, signal: controller.signal });
    controller.abort();
    expect(await waiting).toBeUndefined();
  });
});
