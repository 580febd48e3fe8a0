import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditDraft } from '../../../src/core/domain/audit-event.js';
import { GENESIS_HASH, canonicalJson } from '../../../src/core/domain/audit-event.js';
import { RedisRequestStore } from '../../../src/store/redis/redis-request-store.js';
import { connectTestRedis, type TestRedis } from '../../support/redis.js';

const draft = (type: string, data: Record<string, unknown> = {}): AuditDraft => ({
  type,
  requestId: null,
  actor: { kind: 'system' },
  data,
});

describe('audit chain on Redis', () => {
  let t: TestRedis;
  beforeAll(async () => {
    t = await connectTestRedis('audit');
  });
  afterAll(async () => t.cleanup());

  it('verifies up to a snapshot: events appended while it reads are never reported as a break', async () => {
    const store = new RedisRequestStore(t.redis, `${t.prefix}live:`);
    for (let i = 0; i < 50; i++) await store.appendAudit(draft('test.before', { i }));
    const connection = t.redis.duplicate();
    const writer = new RedisRequestStore(connection, `${t.prefix}live:`);
    let writing = true;
    const appends = (async () => {
      let n = 0;
      while (writing) await writer.appendAudit(draft('test.during', { n: n++ }));
      return n;
    })();
    const verdicts = [];
    for (let round = 0; round < 20; round++) verdicts.push(await store.verifyAudit());
    writing = false;
    expect(await appends).toBeGreaterThan(0);
    await connection.quit();
    expect(verdicts.filter((v) => !v.ok)).toEqual([]);
    expect(verdicts.every((v) => v.events >= 50)).toBe(true);
    expect(await store.verifyAudit()).toMatchObject({ ok: true });
  });

  it('hashes in Lua exactly as SHA-256 over prev + canonical JSON does in Node', async () => {
    const store = new RedisRequestStore(t.redis, `${t.prefix}a:`);
    // Sizes around the 55/56/64-byte padding edges, multi-block bodies and non-ASCII text.
    const payloads = ['', 'x'.repeat(1), 'y'.repeat(40), 'z'.repeat(47), 'q'.repeat(120), 'é✓🚀'.repeat(50), '\n\t"\\'];
    for (const text of payloads) await store.appendAudit(draft('test.event', { text }));
    const events: Awaited<ReturnType<typeof store.auditOf>> = [];
    for await (const event of store.exportAudit()) events.push(event);
    expect(events).toHaveLength(payloads.length);
    let prev = GENESIS_HASH;
    for (const [i, event] of events.entries()) {
      const { prev: storedPrev, hash, ...rest } = event;
      expect(storedPrev).toBe(prev);
      expect(event.seq).toBe(i + 1);
      expect(event.data.text).toBe(payloads[i]);
      const expected = createHash('sha256').update(prev + canonicalJson(rest)).digest('hex');
      expect(hash).toBe(expected);
      prev = hash;
    }
    expect(await store.verifyAudit()).toEqual({ ok: true, events: payloads.length, lastHash: prev });
  });

  it('names the first broken link when an event is altered', async () => {
    const prefix = `${t.prefix}b:`;
    const store = new RedisRequestStore(t.redis, prefix);
    for (let i = 0; i < 10; i++) await store.appendAudit(draft('test.event', { i }));
    // Streams cannot be edited in place: rewrite the whole stream with event 4's body changed.
    const all = (await t.redis.xrange(`${prefix}audit`, '-', '+')) as [string, string[]][];
    await t.redis.del(`${prefix}audit`);
    for (const [id, fields] of all) {
      const altered = id === '4-1' ? fields.map((v) => v.replace('"i":3', '"i":33')) : fields;
      await t.redis.xadd(`${prefix}audit`, id, ...altered);
    }
    const result = await store.verifyAudit();
    expect(result).toMatchObject({ ok: false, brokenAt: 4 });
    expect(!result.ok && result.problem).toMatch(/event 4 was altered/);
  });

  it('names the missing event when one is deleted, and a truncated tail', async () => {
    const prefix = `${t.prefix}c:`;
    const store = new RedisRequestStore(t.redis, prefix);
    for (let i = 0; i < 10; i++) await store.appendAudit(draft('test.event', { i }));
    await t.redis.xdel(`${prefix}audit`, '7-1');
    const result = await store.verifyAudit();
    expect(result).toMatchObject({ ok: false, brokenAt: 7 });
    expect(!result.ok && result.problem).toMatch(/event 7 is missing/);

    const prefix2 = `${t.prefix}d:`;
    const store2 = new RedisRequestStore(t.redis, prefix2);
    for (let i = 0; i < 5; i++) await store2.appendAudit(draft('test.event', { i }));
    await t.redis.xdel(`${prefix2}audit`, '5-1');
    const truncated = await store2.verifyAudit();
    expect(truncated).toMatchObject({ ok: false, brokenAt: 5 });
  });

  it('keeps one linear chain under concurrent appends from several connections', async () => {
    const prefix = `${t.prefix}e:`;
    const { Redis } = await import('ioredis');
    const clients = Array.from({ length: 4 }, () => new Redis(t.url));
    const stores = clients.map((c) => new RedisRequestStore(c, prefix));
    await Promise.all(stores.map((s, n) => Promise.all(Array.from({ length: 250 }, (_, i) => s.appendAudit(draft('test.event', { n, i }))))));
    clients.forEach((c) => c.disconnect());
    const store = new RedisRequestStore(t.redis, prefix);
    expect(await store.verifyAudit()).toMatchObject({ ok: true, events: 1000 });
  });
});
