import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AccessRequest, RequestId } from '../../src/core/domain/access-request.js';
import { GENESIS_HASH, canonicalJson, type AuditDraft, type AuditEvent } from '../../src/core/domain/audit-event.js';
import { isJitError } from '../../src/core/domain/errors.js';
import { applyEvent } from '../../src/core/domain/lifecycle.js';
import type { LimitCheck } from '../../src/core/policy/request-limits.js';
import type { RequestStore } from '../../src/core/ports/request-store.js';

/** What a store's setup gives the contract suite: the three ports, time, and a way to damage the trail. */
export interface StoreContractSubject {
  store: RequestStore;
  /** Lets `ms` pass for claim TTLs (a manual clock moves; Redis really waits). */
  passTime(ms: number): Promise<void>;
  /** Damages the stored trail behind the store's back, as an attacker with write access could. */
  tamper: {
    /** Rewrites the stored body of the event at `position` (hash and links left as they were). */
    alter(position: number, edit: (body: string) => string): Promise<void>;
    remove(position: number): Promise<void>;
  };
  teardown(): Promise<void>;
}

const T0 = Date.UTC(2030, 0, 1);
const system = { kind: 'system' } as const;
const draft = (type: string, requestId: RequestId | null = null, data: Record<string, unknown> = {}, at?: string): AuditDraft => ({
  type,
  requestId,
  actor: system,
  data,
  ...(at ? { at } : {}),
});

/** A pending request as request-access.ts builds it. */
function pending(id: RequestId, requester: string, createdAt: number, waitingOn: string[] = ['bob', 'carol']): AccessRequest {
  return {
    id,
    resource: 'deploy',
    requester,
    durationMs: 3_600_000,
    reason: 'contract',
    createdAt,
    version: 0,
    via: 'console',
    approvalsRequired: 1,
    approvals: [],
    status: 'pending',
    timeoutAt: createdAt + 1_800_000,
    waitingOn,
  };
}

/** An active grant (or one ending, with `status`) whose window ends at `end`. */
function holding(id: RequestId, end: number, status: 'active' | 'revoking' | 'revoke_failed' | 'expired' = 'active'): AccessRequest {
  const { timeoutAt: _t, waitingOn: _w, status: _s, ...common } = pending(id, 'alice', T0) as AccessRequest & { status: 'pending' };
  const base: AccessRequest = {
    ...common,
    status: 'active',
    decidedAt: T0,
    approvals: [{ person: 'bob', at: T0, via: 'console' }],
    window: { start: T0, end },
    receipt: { summary: 'contract credential', details: {}, revokeState: {} },
    extensions: [],
  };
  if (status === 'active') return base;
  const ending = { ...base, endReason: 'expired' as const, endedBy: system, endRequestedAt: end, revokeAttempts: 0 };
  if (status === 'revoking') return { ...ending, status };
  if (status === 'revoke_failed') return { ...ending, status, failingSince: end };
  return { ...ending, status, endedAt: end };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isJitError(error) && error.code).toBe(code);
}

async function all<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

/** The store ports' behaviour, held by every implementation (memory and Redis). */
export function describeStoreContract(name: string, setup: () => Promise<StoreContractSubject>): void {
  describe(`store contract: ${name}`, () => {
    let subject: StoreContractSubject;
    let store: RequestStore;
    beforeEach(async () => {
      subject = await setup();
      store = subject.store;
    });
    afterEach(async () => subject.teardown());

    const make = async (request: (id: RequestId) => AccessRequest): Promise<AccessRequest> => {
      const id = await store.nextId();
      return store.create(request(id), draft('request.created', id));
    };

    it('hands out distinct ids and stores a new request at version 1 with its audit event', async () => {
      expect.hasAssertions();
      const [a, b] = [await store.nextId(), await store.nextId()];
      expect(a).toMatch(/^JIT-\d+$/);
      expect(Number(b.slice(4))).toBeGreaterThan(Number(a.slice(4)));
      const created = await store.create(pending(a, 'alice', T0), draft('request.created', a, { resource: 'deploy' }));
      expect(created.version).toBe(1);
      expect(await store.get(a)).toEqual({ ...pending(a, 'alice', T0), version: 1 });
      expect(await store.get(b)).toBeUndefined();
      expect((await store.auditOf(a)).map((e) => [e.type, e.requestId, e.data])).toEqual([['request.created', a, { resource: 'deploy' }]]);
      await rejectsWith(store.create(pending(a, 'bob', T0), draft('request.created', a)), 'REQUEST.CONFLICT');
      expect((await store.get(a))?.requester).toBe('alice');
      expect(await store.auditOf(a)).toHaveLength(1);
    });

    it('refuses a create over a limit, writing nothing, and counts open requests and the sliding minute', async () => {
      expect.hasAssertions();
      const open = [{ kind: 'open', scope: 'requester', limit: 2 }] as const;
      const limited = async (createdAt: number, limits: readonly LimitCheck[], requester = 'alice'): Promise<unknown> => {
        const id = await store.nextId();
        return store.create(pending(id, requester, createdAt), draft('request.created', id), limits).then(
          () => id,
          (error: unknown) => error,
        );
      };
      const first = await limited(T0, open);
      await limited(T0 + 1, open);
      const refused = await limited(T0 + 2, open);
      expect(isJitError(refused, 'POLICY.LIMIT_REACHED') && refused.details).toEqual({ check: 0, count: 2, retryAfterMs: 0 });
      expect(await store.listByRequester('alice', 10)).toHaveLength(2);
      expect(typeof (await limited(T0 + 3, open, 'bob'))).toBe('string');
      // A request that leaves the open states makes room.
      const before = (await store.get(first as RequestId))!;
      await store.update(before, applyEvent(before, { type: 'cancel', at: T0 + 4 }), draft('request.cancelled', before.id));
      expect(typeof (await limited(T0 + 5, open))).toBe('string');

      const perMinute = [{ kind: 'perMinute', scope: 'requester', limit: 3 }] as const;
      const carol = async (at: number): Promise<unknown> => limited(at, perMinute, 'carol');
      for (const at of [T0, T0 + 10_000, T0 + 20_000]) expect(typeof (await carol(at))).toBe('string');
      const tooSoon = await carol(T0 + 30_000);
      expect(isJitError(tooSoon, 'POLICY.LIMIT_REACHED') && tooSoon.details).toEqual({ check: 0, count: 3, retryAfterMs: 30_000 });
      expect(typeof (await carol(T0 + 60_001))).toBe('string');
      expect(await store.listByRequester('carol', 10)).toHaveLength(4);
    });

    it('reads many in the order asked, leaving out unknown ids; records read are copies', async () => {
      expect.hasAssertions();
      const x = await make((id) => pending(id, 'alice', T0));
      const y = await make((id) => pending(id, 'bob', T0 + 1));
      expect((await store.getMany([y.id, 'JIT-999999', x.id])).map((r) => r.id)).toEqual([y.id, x.id]);
      expect(await store.getMany([])).toEqual([]);
      const read = (await store.get(x.id))!;
      read.approvals.push({ person: 'mallory', at: 0, via: 'console' });
      expect((await store.get(x.id))?.approvals).toEqual([]);
    });

    it('updates with a version check: a stale write is REQUEST.CONFLICT and changes nothing, not even the trail', async () => {
      expect.hasAssertions();
      const v1 = await make((id) => pending(id, 'alice', T0));
      const v2 = await store.update(v1, { ...v1, reason: 'second' }, draft('request.edited', v1.id));
      expect(v2.version).toBe(2);
      expect((await store.get(v1.id))?.reason).toBe('second');
      await rejectsWith(store.update(v1, { ...v1, reason: 'stale' }, draft('request.stale', v1.id)), 'REQUEST.CONFLICT');
      expect(await store.get(v1.id)).toMatchObject({ version: 2, reason: 'second' });
      expect((await store.auditOf(v1.id)).map((e) => e.type)).toEqual(['request.created', 'request.edited']);
      await rejectsWith(store.update({ ...v1, id: 'JIT-999998' }, { ...v1, id: 'JIT-999998' }, draft('x', 'JIT-999998')), 'REQUEST.CONFLICT');
      expect(await store.verifyAudit()).toMatchObject({ ok: true, events: 2 });
    });

    it('lets exactly one of many concurrent writers of the same version win', async () => {
      expect.hasAssertions();
      const v1 = await make((id) => pending(id, 'alice', T0));
      const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.update(v1, { ...v1, reason: `w${i}` }, draft('request.edited', v1.id))));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(isJitError(r.reason, 'REQUEST.CONFLICT')).toBe(true);
      expect(await store.auditOf(v1.id)).toHaveLength(2);
    });

    it('lists by requester and by status, newest first, and moves a request between status lists', async () => {
      expect.hasAssertions();
      const first = await make((id) => pending(id, 'alice', T0));
      const second = await make((id) => pending(id, 'alice', T0 + 10));
      const other = await make((id) => pending(id, 'dave', T0 + 5));
      expect((await store.listByRequester('alice', 10)).map((r) => r.id)).toEqual([second.id, first.id]);
      expect((await store.listByRequester('alice', 1)).map((r) => r.id)).toEqual([second.id]);
      expect(await store.listByRequester('nobody', 10)).toEqual([]);
      expect((await store.listByStatus('pending', 10)).map((r) => r.id)).toEqual([second.id, other.id, first.id]);
      const { timeoutAt: _t, waitingOn: _w, ...rest } = first as AccessRequest & { status: 'pending' };
      await store.update(first, { ...rest, status: 'cancelled', cancelledAt: T0 + 20 }, draft('request.cancelled', first.id));
      expect((await store.listByStatus('pending', 10)).map((r) => r.id)).toEqual([second.id, other.id]);
      expect((await store.listByStatus('cancelled', 10)).map((r) => r.id)).toEqual([first.id]);
      expect((await store.listByRequester('alice', 10)).map((r) => r.id)).toEqual([second.id, first.id]);
    });

    it('lists what waits on a person: pending requests and pending extensions, in id order, until decided', async () => {
      expect.hasAssertions();
      const a = await make((id) => pending(id, 'alice', T0, ['bob', 'carol']));
      const b = await make((id) => pending(id, 'dave', T0, ['carol']));
      const ext = await make((id) => ({
        ...(holding(id, T0 + 3_600_000) as AccessRequest & { status: 'active' }),
        pendingExtension: { durationMs: 60_000, reason: 'more', requestedAt: T0, approvals: [] },
        waitingOn: ['bob'],
      }));
      // A stale waitingOn on a grant without a pending extension waits on nobody.
      await make((id) => ({ ...(holding(id, T0 + 3_600_000) as AccessRequest & { status: 'active' }), waitingOn: ['bob'] }));
      expect((await store.listWaitingOn('bob')).map((r) => r.id)).toEqual([a.id, ext.id]);
      expect((await store.listWaitingOn('carol')).map((r) => r.id)).toEqual([a.id, b.id]);
      await store.update(a, { ...a, waitingOn: ['carol'] }, draft('request.approval_added', a.id));
      expect((await store.listWaitingOn('bob')).map((r) => r.id)).toEqual([ext.id]);
      expect(await store.listWaitingOn('erin')).toEqual([]);
    });

    it('lists grants holding access that end by a time, soonest first, and counts them', async () => {
      expect.hasAssertions();
      const active = await make((id) => holding(id, T0 + 100));
      const revoking = await make((id) => holding(id, T0 + 50, 'revoking'));
      const failing = await make((id) => holding(id, T0 + 200, 'revoke_failed'));
      await make((id) => holding(id, T0 + 10, 'expired'));
      await make((id) => pending(id, 'alice', T0));
      expect(await store.listHoldingAccessEndingBy(T0 + 150, 100)).toEqual([revoking.id, active.id]);
      expect(await store.listHoldingAccessEndingBy(T0 + 150, 1)).toEqual([revoking.id]);
      expect(await store.listHoldingAccessEndingBy(T0 + 200, 100)).toEqual([revoking.id, active.id, failing.id]);
      expect(await store.countHoldingAccess()).toBe(3);
      // An extension moves the end; the end of access takes it off the list.
      await store.update(active, { ...active, window: { start: T0, end: T0 + 300 } } as AccessRequest, draft('extension.approved', active.id));
      expect(await store.listHoldingAccessEndingBy(T0 + 250, 100)).toEqual([revoking.id, failing.id]);
      const { failingSince: _f, ...ended } = failing as AccessRequest & { status: 'revoke_failed' };
      await store.update(failing, { ...ended, status: 'expired', endedAt: T0 + 210 }, draft('grant.revoked', failing.id));
      expect(await store.countHoldingAccess()).toBe(2);
    });

    it('chains audit events: seq, prev and hash over canonical JSON; history per request; export; verify', async () => {
      expect.hasAssertions();
      expect(await store.verifyAudit()).toEqual({ ok: true, events: 0, lastHash: GENESIS_HASH });
      const r = await make((id) => pending(id, 'alice', T0));
      const appended: AuditEvent = await store.appendAudit(draft('approve.refused', r.id, { code: 'POLICY.SELF_APPROVAL', skipped: undefined }));
      expect(appended.seq).toBe(2);
      await store.appendAudit(draft('auth.failed', null, { text: 'é✓🚀 "quoted"\n' }, new Date(T0 + 60_000).toISOString()));
      const events = await all(store.exportAudit());
      expect(events.map((e) => [e.seq, e.type])).toEqual([[1, 'request.created'], [2, 'approve.refused'], [3, 'auth.failed']]);
      expect(events[1]!.hash).toBe(appended.hash);
      let prev = GENESIS_HASH;
      for (const event of events) {
        const { prev: linked, hash, ...rest } = event;
        expect(linked).toBe(prev);
        expect(hash).toBe(createHash('sha256').update(prev + canonicalJson(rest)).digest('hex'));
        prev = hash;
      }
      // Undefined values are not part of the hashed bytes, so they do not come back.
      expect(events[1]!.data).toEqual({ code: 'POLICY.SELF_APPROVAL' });
      expect((await store.auditOf(r.id)).map((e) => e.seq)).toEqual([1, 2]);
      expect(await store.auditOf('JIT-999997')).toEqual([]);
      expect((await all(store.exportAudit(T0 + 60_000))).map((e) => e.type)).toEqual(['auth.failed']);
      expect(await store.verifyAudit()).toEqual({ ok: true, events: 3, lastHash: prev });
    });

    it('names an altered event, a missing one and a truncated tail', async () => {
      expect.hasAssertions();
      for (let i = 0; i < 6; i++) await store.appendAudit(draft('test.event', null, { i }));
      await subject.tamper.alter(4, (body) => body.replace('"i":3', '"i":33'));
      const altered = await store.verifyAudit();
      expect(altered).toMatchObject({ ok: false, events: 3, brokenAt: 4 });
      expect(!altered.ok && altered.problem).toMatch(/event 4 was altered/);
      await subject.tamper.alter(4, (body) => body.replace('"i":33', '"i":3'));
      expect(await store.verifyAudit()).toMatchObject({ ok: true, events: 6 });

      await subject.tamper.remove(2);
      const missing = await store.verifyAudit();
      expect(missing).toMatchObject({ ok: false, events: 1, brokenAt: 2 });
      expect(!missing.ok && missing.problem).toMatch(/event 2 is missing \(the next stored event is 3\)/);
    });

    it('keeps signed checkpoints in order beside the chain, and reads the head and one event', async () => {
      expect.hasAssertions();
      expect(await store.auditHead()).toEqual({ seq: 0, hash: GENESIS_HASH });
      expect(await store.checkpoints()).toEqual([]);
      expect(await store.lastCheckpoint()).toBeUndefined();
      for (let i = 0; i < 3; i++) await store.appendAudit(draft('test.event', null, { i }));
      const head = await store.auditHead();
      const third = await store.auditEventAt(3);
      expect(head).toEqual({ seq: 3, hash: third?.hash });
      expect(third?.data).toEqual({ i: 2 });
      expect(await store.auditEventAt(4)).toBeUndefined();
      const first = { seq: 2, hash: (await store.auditEventAt(2))!.hash, at: new Date(T0).toISOString(), signature: 'c2ln', keyId: 'k1' };
      const second = { ...head, at: new Date(T0 + 1000).toISOString(), signature: 'c2ln', keyId: 'k1' };
      await store.appendCheckpoint(first);
      await store.appendCheckpoint(second);
      expect(await store.checkpoints()).toEqual([first, second]);
      expect(await store.lastCheckpoint()).toEqual(second);
    });

    it('reads the events after a position in order, a page at a time, as sinks do', async () => {
      expect.hasAssertions();
      expect(await store.auditEventsAfter(0, 10)).toEqual([]);
      for (let i = 0; i < 7; i++) await store.appendAudit(draft('test.event', null, { i }));
      const page = await store.auditEventsAfter(2, 3);
      expect(page.map((e) => e.seq)).toEqual([3, 4, 5]);
      expect(page[0]?.data).toEqual({ i: 2 });
      expect(page[0]?.hash).toBe((await store.auditEventAt(3))?.hash);
      expect((await store.auditEventsAfter(5, 100)).map((e) => e.seq)).toEqual([6, 7]);
      expect(await store.auditEventsAfter(7, 100)).toEqual([]);
    });

    it('notices events removed from the end', async () => {
      expect.hasAssertions();
      for (let i = 0; i < 5; i++) await store.appendAudit(draft('test.event', null, { i }));
      await subject.tamper.remove(5);
      const truncated = await store.verifyAudit();
      expect(truncated).toMatchObject({ ok: false, events: 4, brokenAt: 5 });
      expect(!truncated.ok && truncated.problem).toMatch(/ends at event 4 but 5 were written/);
    });

    it('claims a key once until released or until its TTL runs out; refuses a TTL that is not positive', async () => {
      expect.hasAssertions();
      expect(await store.claimOnce('slack:req-1', 60_000)).toBe(true);
      expect(await store.claimOnce('slack:req-1', 60_000)).toBe(false);
      expect(await store.claimOnce('slack:req-2', 60_000)).toBe(true);
      await store.releaseClaim('slack:req-1');
      expect(await store.claimOnce('slack:req-1', 60_000)).toBe(true);
      await store.releaseClaim('never-claimed');

      expect(await store.claimOnce('short', 80)).toBe(true);
      expect(await store.claimOnce('short', 80)).toBe(false);
      await subject.passTime(200);
      expect(await store.claimOnce('short', 80)).toBe(true);
      expect(await store.claimOnce('slack:req-2', 60_000)).toBe(false);
      await expect(store.claimOnce('zero', 0)).rejects.toThrow();
    });

    it('keeps values per namespace until overwritten', async () => {
      expect.hasAssertions();
      await store.putValue('teams-conversations', 'alice', '{"ref":1}');
      await store.putValue('pipeline-credentials', 'alice', 'sealed');
      expect(await store.getValue('teams-conversations', 'alice')).toBe('{"ref":1}');
      expect(await store.getValue('pipeline-credentials', 'alice')).toBe('sealed');
      await store.putValue('teams-conversations', 'alice', '');
      expect(await store.getValue('teams-conversations', 'alice')).toBe('');
      expect(await store.getValue('teams-conversations', 'bob')).toBeUndefined();
      expect(await store.getValue('nowhere', 'alice')).toBeUndefined();
    });

    it('keeps one message handle per platform and channel, the latest', async () => {
      expect.hasAssertions();
      const id = await store.nextId();
      expect(await store.messageRefs(id)).toEqual([]);
      await store.saveMessageRef(id, { platform: 'slack', channel: 'C1', messageId: '1.0' });
      await store.saveMessageRef(id, { platform: 'teams', channel: '19:x', messageId: 'a', extra: { conversation: { id: 'c' } } });
      await store.saveMessageRef(id, { platform: 'slack', channel: 'C1', messageId: '2.0' });
      await store.saveMessageRef(id, { platform: 'slack', channel: 'C2', messageId: '3.0' });
      const refs = await store.messageRefs(id);
      expect(refs).toHaveLength(3);
      expect(refs).toEqual(
        expect.arrayContaining([
          { platform: 'slack', channel: 'C1', messageId: '2.0' },
          { platform: 'teams', channel: '19:x', messageId: 'a', extra: { conversation: { id: 'c' } } },
          { platform: 'slack', channel: 'C2', messageId: '3.0' },
        ]),
      );
      await expect(store.ping()).resolves.toBeUndefined();
    });
  });
}
