import { afterEach, describe, expect, it } from 'vitest';
import { WebhookReceiver } from '../../fakes/webhook-receiver.js';
import { person, startEngine, testPolicy, waitFor, type Engine } from '../../support/engine.js';

// The webhook issuer driven by the real core on Redis: what the receiver is told when access ends.

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function engineWithReceiver(): Promise<{ engine: Engine; receiver: WebhookReceiver }> {
  const receiver = new WebhookReceiver();
  await receiver.start();
  cleanups.push(() => receiver.stop());
  const engine = await startEngine({
    policy: testPolicy({
      issuers: { fake: { type: 'none' }, hook: { type: 'webhook', url: receiver.url, secret: receiver.secret, timeoutMs: 2000 } },
      resources: { db: { issuer: 'hook', approvers: ['group:sre'], maxDuration: '1h', reason: 'optional', params: { data: { role: 'db-admin' } } } },
    }),
  });
  cleanups.push(() => engine.stop());
  return { engine, receiver };
}

const grantOf = (event: { body: Record<string, unknown> }) => (event.body.data as { grant: { window: { start: string; end: string }; ended?: { at: string; reason: string } } }).grant;

describe('webhook issuer in the engine', () => {
  it('a grant released early: grant.deactivate carries the time of the release, not the planned end', async () => {
    const { engine, receiver } = await engineWithReceiver();
    const { core, store } = engine.app;
    const { request: r } = await core.requestAccess({ actor: person('alice'), resource: 'db', duration: '1h', reason: 'early release' });
    await core.approve(person('bob'), r.id);
    await waitFor('active', async () => (await store.get(r.id))?.status === 'active');
    const activate = grantOf(receiver.applied[0]!);
    await core.release(person('alice'), r.id);
    const ended = await waitFor('released', async () => {
      const now = await store.get(r.id);
      return now?.status === 'released' ? now : undefined;
    });
    const deactivate = receiver.applied.find((e) => e.type === 'grant.deactivate');
    expect(deactivate).toBeDefined();
    const told = grantOf(deactivate!);
    expect(told.window.start).toBe(activate.window.start);
    expect(Date.parse(activate.window.end) - Date.parse(activate.window.start)).toBe(3_600_000);
    expect(told.window.end).toBe(new Date(ended.endRequestedAt).toISOString());
    expect(told.ended).toEqual({ at: told.window.end, reason: 'released' });
    expect(Date.parse(told.window.end)).toBeLessThan(Date.parse(activate.window.end) - 3_000_000);
    expect(receiver.rejected).toBe(0);
  });

  it('a grant that expires: grant.deactivate carries the planned end', async () => {
    const { engine, receiver } = await engineWithReceiver();
    const { core, store } = engine.app;
    const { request: r } = await core.requestAccess({ actor: person('alice'), resource: 'db', duration: '1s', reason: 'expiry' });
    await core.approve(person('bob'), r.id);
    await waitFor('expired', async () => (await store.get(r.id))?.status === 'expired');
    const [activate, deactivate] = receiver.applied.map(grantOf);
    expect(deactivate!.window.end).toBe(activate!.window.end);
    expect(deactivate!.ended).toEqual({ at: activate!.window.end, reason: 'expired' });
  });
});
