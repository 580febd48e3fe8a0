import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { GENESIS_HASH } from '../../src/core/domain/audit-event.js';
import { chainHash } from '../../src/store/audit-chain.js';
import { RedisRequestStore } from '../../src/store/redis/redis-request-store.js';
import { runJitbot, startJitbot, type JitbotResult } from '../support/jitbot-process.js';
import { deleteByPrefix, uniquePrefix } from '../support/redis.js';
import { waitFor } from '../support/wait-for.js';

const POLICY = `version: 1
people:
  alice: { email: alice@example.com }
  bob: { email: bob@example.com }
issuers:
  gate:
    type: none
resources:
  deploy:
    issuer: gate
    approvers: [alice, bob]
    maxDuration: 1h
`;

const explain = (r: JitbotResult): string => `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
const ed25519Pem = (): string => generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A test Redis prefix, a policy, a signing key kept outside Redis, and the store the processes share. */
function setup(label: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `jitbot-signing-${label}-`));
  const prefix = uniquePrefix(label);
  const redis = new Redis(inject('redisUrl'));
  cleanups.push(async () => {
    await deleteByPrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });
  writeFileSync(path.join(dir, 'jitbot.yaml'), POLICY);
  const keyFile = path.join(dir, 'signing-key.pem');
  writeFileSync(keyFile, ed25519Pem(), { mode: 0o600 });
  const env = {
    REDIS_URL: inject('redisUrl'),
    JITBOT_KEY_PREFIX: prefix,
    JITBOT_DATA_DIR: path.join(dir, 'data'),
    JITBOT_POLICY: path.join(dir, 'jitbot.yaml'),
    JITBOT_AUDIT_SIGNING_KEY_FILE: keyFile,
    JITBOT_AUDIT_CHECKPOINT_EVERY: '1',
    JITBOT_AUDIT_CHECKPOINT_EVERY_MS: '50',
  };
  const store = new RedisRequestStore(redis, prefix);
  const jit = (...args: string[]) => runJitbot(args, { env, timeoutMs: 60_000 });
  return { dir, prefix, redis, env, store, jit };
}

/** Appends events while a real `jitbot worker` runs, waiting for its checkpoint after each one. */
async function eventsWithCheckpoints(s: ReturnType<typeof setup>, count: number): Promise<void> {
  const worker = startJitbot(['worker'], { env: s.env, timeoutMs: 120_000 });
  cleanups.push(async () => {
    worker.kill('SIGTERM');
    await worker.result;
  });
  for (let i = 1; i <= count; i++) {
    const event = await s.store.appendAudit({ type: 'test.event', requestId: null, actor: { kind: 'system' }, data: { i } });
    await waitFor(`a checkpoint at event ${event.seq}`, async () => (await s.store.lastCheckpoint())?.seq === event.seq, 20_000, 20, () => worker.stderr());
  }
  worker.kill('SIGTERM');
  await worker.result;
}

describe('signed audit checkpoints: jitbot worker signs, jitbot audit verify checks', () => {
  it('a chain rewritten in Redis with every hash recomputed passes the plain walk, but audit verify names the first rewritten event', async () => {
    const s = setup('rewrite');
    await eventsWithCheckpoints(s, 4);
    const ok = await s.jit('audit', 'verify');
    expect(ok.code, explain(ok)).toBe(0);
    expect(ok.stdout).toMatch(/^ok: 4 events, chain intact, [4-9] signed checkpoint\(s\) match \(key [0-9a-f]{16}\)\n$/);

    const pubkey = await s.jit('audit', 'pubkey');
    expect(pubkey.code, explain(pubkey)).toBe(0);
    expect(pubkey.stdout).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+-----END PUBLIC KEY-----\n$/);
    const publicFile = path.join(s.dir, 'public.pem');
    writeFileSync(publicFile, pubkey.stdout);
    // Verifying with the public key alone: no private key in that process's environment.
    const auditor = await runJitbot(['audit', 'verify', '--pubkey', publicFile], { env: { ...s.env, JITBOT_AUDIT_SIGNING_KEY_FILE: undefined }, timeoutMs: 60_000 });
    expect(auditor.code, explain(auditor)).toBe(0);
    expect(auditor.stdout).toMatch(/^ok: 4 events, chain intact, \d+ signed checkpoint/);

    // Rewrite event 2 and recompute the whole chain (SHA-256 over prev + body), head included.
    const stream = `${s.prefix}audit`;
    const entries = (await s.redis.xrange(stream, '-', '+')) as [string, string[]][];
    await s.redis.del(stream);
    let prev = GENESIS_HASH;
    for (const [id, fields] of entries) {
      const body = fields[fields.indexOf('body') + 1]!.replace(id === '2-1' ? '"i":2' : '\u0000', '"i":22');
      const hash = chainHash(prev, body);
      await s.redis.xadd(stream, id, 'body', body, 'prev', prev, 'hash', hash);
      prev = hash;
    }
    await s.redis.hset(`${s.prefix}audit:head`, 'hash', prev);
    expect(await s.store.verifyAudit()).toMatchObject({ ok: true, events: 4 });

    for (const args of [['audit', 'verify'], ['audit', 'verify', '--pubkey', pubkey.stdout]]) {
      const broken = await s.jit(...args);
      expect(broken.code, explain(broken)).toBe(1);
      expect(broken.stdout).toMatch(/^broken: the first event that does not match is event 2: event 2 was rewritten: event 2 no longer has the hash signed in checkpoint \d+ \(event 2, signed [^)]+\); event 1 still matches its checkpoint/);
    }
  }, 180_000);

  it('names a checkpoint signed by another key, and refuses a --pubkey that is not a key', async () => {
    const s = setup('forged');
    await eventsWithCheckpoints(s, 2);
    // Someone with Redis access signs a checkpoint with a key of their own.
    const forger = await runJitbot(['audit', 'pubkey'], { env: { ...s.env, JITBOT_AUDIT_SIGNING_KEY_FILE: undefined, JITBOT_AUDIT_SIGNING_KEY: ed25519Pem() }, timeoutMs: 60_000 });
    expect(forger.code, explain(forger)).toBe(0);
    const last = (await s.store.lastCheckpoint())!;
    const count = (await s.store.checkpoints()).length;
    await s.store.appendCheckpoint({ ...last, signature: Buffer.alloc(64, 7).toString('base64'), keyId: 'ffffffffffffffff' });
    const forged = await s.jit('audit', 'verify');
    expect(forged.code, explain(forged)).toBe(1);
    expect(forged.stdout).toMatch(
      new RegExp(`^broken: the first event that does not match is event 2: checkpoint ${count + 1} \\(event 2, signed [^)]+\\) is forged: its signature does not verify with key [0-9a-f]{16} \\(it names key ffffffffffffffff\\)`),
    );
    const wrongKey = await s.jit('audit', 'verify', '--pubkey', forger.stdout);
    expect(wrongKey.code, explain(wrongKey)).toBe(1);
    expect(wrongKey.stdout).toMatch(/^broken: .*checkpoint 1 \(event 1, .*\) is forged/);

    const notAKey = await s.jit('audit', 'verify', '--pubkey', path.join(s.dir, 'jitbot.yaml'));
    expect(notAKey.code).toBe(1);
    expect(notAKey.stderr).toMatch(/^jitbot: --pubkey: .*jitbot\.yaml is not a PEM public or private key$/m);
  }, 180_000);
});
