import { describe, expect, it } from 'vitest';
import { generateKeyPairSync } from 'node:crypto';
import { loadAuditSigningKey } from '../../../../src/app/audit-signing-key.js';
import { canonicalJson, GENESIS_HASH } from '../../../../src/core/domain/audit-event.js';
import { ManualClock } from '../../../../src/core/ports/clock.js';
import { silentLogger } from '../../../../src/core/ports/logger.js';
import { verifySignedAudit, writeCheckpoint } from '../../../../src/core/services/audit-checkpoints.js';
import { DEFAULT_ENGINE_SETTINGS } from '../../../../src/core/services/core-context.js';
import { chainHash } from '../../../../src/store/audit-chain.js';
import { emptyAuditTrail, MemoryAuditLog, type MemoryAuditTrail } from '../../../../src/store/memory/memory-audit-log.js';

const keyPem = (): string => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function setup(cadence: { checkpointEveryEvents: number; checkpointEveryMs: number }) {
  const clock = new ManualClock();
  const trail = emptyAuditTrail();
  const audit = new MemoryAuditLog({ clock, trail });
  const key = loadAuditSigningKey({ pem: keyPem(), dataDir: '/nonexistent', log: silentLogger });
  const deps = { audit, clock, engine: { ...DEFAULT_ENGINE_SETTINGS, ...cadence }, checkpointSigner: key.signer };
  const add = async (n: number) => {
    for (let i = 0; i < n; i++) await audit.appendAudit({ type: 'test.event', requestId: null, actor: { kind: 'system' }, data: { n: trail.head.seq + 1 } });
  };
  return { clock, trail, audit, key, deps, add };
}

/** What someone with write access to the store does: edits one event and recomputes every hash after it. */
function rewriteConsistently(trail: MemoryAuditTrail, position: number, edit: (body: string) => string): void {
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= trail.head.seq; seq++) {
    const entry = trail.entries.get(seq)!;
    const body = seq === position ? edit(entry.body) : entry.body;
    const hash = chainHash(prev, body);
    trail.entries.set(seq, { ...entry, body, prev, hash });
    prev = hash;
  }
  trail.head = { seq: trail.head.seq, hash: prev };
}

describe('signed audit checkpoints', () => {
  it('signs the head every N events or after T, and only when the head moved', async () => {
    const { clock, deps, add, audit } = setup({ checkpointEveryEvents: 3, checkpointEveryMs: 10_000 });
    expect(await writeCheckpoint(deps)).toBeUndefined();
    await add(1);
    expect((await writeCheckpoint(deps))?.seq).toBe(1);
    await add(2);
    expect(await writeCheckpoint(deps)).toBeUndefined();
    await add(1);
    expect((await writeCheckpoint(deps))?.seq).toBe(4);
    expect(await writeCheckpoint(deps)).toBeUndefined();
    clock.advance(10_000);
    expect(await writeCheckpoint(deps)).toBeUndefined();
    await add(1);
    expect((await writeCheckpoint(deps))?.seq).toBe(5);
    await add(1);
    expect((await writeCheckpoint(deps, { force: true }))?.seq).toBe(6);
    expect((await audit.checkpoints()).map((c) => c.seq)).toEqual([1, 4, 5, 6]);
    expect(await writeCheckpoint({ ...deps, checkpointSigner: undefined })).toBeUndefined();
  });

  it('a chain rewritten with recomputed hashes passes the plain walk but not the checkpoints, which name the event', async () => {
    const { trail, deps, add, audit, key } = setup({ checkpointEveryEvents: 1, checkpointEveryMs: 10_000 });
    for (let i = 0; i < 5; i++) {
      await add(1);
      await writeCheckpoint(deps);
    }
    expect(await verifySignedAudit(audit, key.verifier)).toMatchObject({ ok: true, events: 5, checkpoints: 5 });
    rewriteConsistently(trail, 3, (body) => body.replace('"n":3', '"n":33'));
    expect(await audit.verifyAudit()).toMatchObject({ ok: true, events: 5 });
    const result = await verifySignedAudit(audit, key.verifier);
    expect(result).toMatchObject({ ok: false, brokenAt: 3, failedCheckpoint: 3 });
    expect(!result.ok && result.problem).toMatch(/^event 3 was rewritten: event 3 no longer has the hash signed in checkpoint 3 .*; event 2 still matches/);
  });

  it('bounds a rewrite between two sparse checkpoints, and names a forged checkpoint and one past the end', async () => {
    const { trail, deps, add, audit, key } = setup({ checkpointEveryEvents: 4, checkpointEveryMs: 10_000 });
    await add(4);
    await writeCheckpoint(deps);
    await add(4);
    await writeCheckpoint(deps);
    rewriteConsistently(trail, 6, (body) => body.replace('"n":6', '"n":66'));
    const rewritten = await verifySignedAudit(audit, key.verifier);
    expect(!rewritten.ok && rewritten.problem).toMatch(/^the history was rewritten between event 5 and event 8/);
    expect(rewritten).toMatchObject({ brokenAt: 5, failedCheckpoint: 2 });

    const other = setup({ checkpointEveryEvents: 1, checkpointEveryMs: 1 });
    await other.add(1);
    await other.audit.appendCheckpoint({ seq: 1, hash: other.trail.head.hash, at: '2026-01-01T00:00:00.000Z', signature: key.signer.sign('x'), keyId: other.key.signer.keyId });
    const forged = await verifySignedAudit(other.audit, other.key.verifier);
    expect(forged).toMatchObject({ ok: false, brokenAt: 1, failedCheckpoint: 1 });
    expect(!forged.ok && forged.problem).toMatch(/checkpoint 1 \(event 1, .*\) is forged: its signature does not verify/);

    const statement = { seq: 9, hash: other.trail.head.hash, at: '2026-01-01T00:00:00.000Z' };
    const past = { ...statement, keyId: other.key.signer.keyId, signature: other.key.signer.sign(`jitbot-audit-checkpoint/v1\n${canonicalJson(statement)}`) };
    const truncated = setup({ checkpointEveryEvents: 1, checkpointEveryMs: 1 });
    await truncated.add(2);
    await truncated.audit.appendCheckpoint(past);
    const result = await verifySignedAudit(truncated.audit, other.key.verifier);
    expect(!result.ok && result.problem).toMatch(/signs event 9 but the trail ends at event 2/);
  });
});
