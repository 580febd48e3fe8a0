import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestId } from '../../../src/core/domain/access-request.js';
import type { TargetVerb } from '../../../src/core/services/command-targets.js';
import { person, startEngine, waitFor, type Engine } from '../../support/engine.js';

// What the console's Tab offers after a verb, from requests stored in Redis by the real use cases.
describe('command targets (tab completion ids) on Redis', () => {
  let engine: Engine;
  const ids: Record<string, RequestId> = {};

  beforeAll(async () => {
    engine = await startEngine();
    const { core, store } = engine.app;
    const ask = (who: string, resource: string, reason = 'x') => core.requestAccess({ actor: person(who), resource, duration: '10m', reason }).then((outcome) => outcome.request);
    ids.alicePending = (await ask('alice', 'deploy')).id;
    ids.aliceActive = (await ask('alice', 'deploy')).id;
    await core.approve(person('bob'), ids.aliceActive);
    ids.daveTwoKeys = (await ask('dave', 'two-keys', 'INC-1')).id;
    await core.approve(person('carol'), ids.daveTwoKeys);
    ids.aliceDenied = (await ask('alice', 'deploy')).id;
    await core.deny(person('bob'), ids.aliceDenied, 'no');
    ids.aliceExtending = (await ask('alice', 'deploy')).id;
    await core.approve(person('carol'), ids.aliceExtending);
    await waitFor('both grants active', async () => {
      const [a, b] = await store.getMany([ids.aliceActive!, ids.aliceExtending!]);
      return a?.status === 'active' && b?.status === 'active';
    });
    await core.extend(person('alice'), ids.aliceExtending, '5m', 'more');
  }, 30_000);
  afterAll(async () => engine.stop());

  const targets = (who: string, verb: TargetVerb, seen: string[] = []) => engine.app.core.commandTargets(who, verb, seen);

  it('approve/deny: what the person may review now, not their own, not decided, not already approved by them', async () => {
    expect(await targets('bob', 'approve')).toEqual([ids.aliceExtending, ids.alicePending]);
    expect(await targets('bob', 'deny')).toEqual([ids.aliceExtending, ids.alicePending]);
    // carol approved dave's two-keys once already; erin (a lead) may still approve it.
    expect(await targets('carol', 'approve')).toEqual([ids.aliceExtending, ids.alicePending]);
    expect(await targets('carol', 'approve', [ids.daveTwoKeys!])).toEqual([ids.aliceExtending, ids.alicePending]);
    expect(await targets('erin', 'approve')).toEqual([ids.daveTwoKeys]);
    expect(await targets('alice', 'approve')).toEqual([]);
  });

  it('cancel: own pending; release: own active; extend: own active without an extension waiting', async () => {
    expect(await targets('alice', 'cancel')).toEqual([ids.alicePending]);
    expect(await targets('bob', 'cancel', [ids.alicePending!])).toEqual([]);
    expect(await targets('alice', 'release')).toEqual([ids.aliceExtending, ids.aliceActive]);
    expect(await targets('alice', 'extend')).toEqual([ids.aliceActive]);
    expect(await targets('dave', 'release')).toEqual([]);
  });

  it('revoke: grants holding access, for admins only', async () => {
    expect(await targets('carol', 'revoke')).toEqual([ids.aliceExtending, ids.aliceActive]);
    expect(await targets('dave', 'revoke', [ids.aliceActive!])).toEqual([]);
    expect(await targets('alice', 'revoke')).toEqual([]);
  });

  it('audit: what the person may read; ids that do not exist are never offered', async () => {
    expect(await targets('alice', 'audit', ['JIT-999'])).toEqual([ids.aliceExtending, ids.aliceDenied, ids.aliceActive, ids.alicePending]);
    expect(await targets('erin', 'audit', [ids.alicePending!, 'JIT-999', 'not-an-id'])).toEqual([ids.daveTwoKeys]);
    expect(await targets('dave', 'wait', ['JIT-999', ids.alicePending!])).toEqual([ids.daveTwoKeys, ids.alicePending]);
  });
});
