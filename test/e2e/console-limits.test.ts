import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runJitbot, transcriptBlocks } from '../support/jitbot-process.js';
import { deleteByPrefix, uniquePrefix } from '../support/redis.js';

// The real `jitbot console` with the default limits (5 open, 10 a minute) and names every
// JavaScript object has.

const POLICY = `version: 1
settings: { minDuration: 10s }
people:
  alice: {}
  bob: {}
issuers:
  gate: { type: none }
resources:
  deploy: { issuer: gate, requesters: [alice], approvers: [bob], maxDuration: 1h, reason: optional }
`;

const dir = mkdtempSync(path.join(tmpdir(), 'jitbot-console-limits-'));
const prefix = uniquePrefix('climits');
afterAll(async () => {
  const redis = new Redis(inject('redisUrl'));
  await deleteByPrefix(redis, prefix);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe('jitbot console: limits and policy names', () => {
  it('the sixth open request is refused with the limit; __proto__, constructor, toString and hasOwnProperty are no resource', async () => {
    const policyPath = path.join(dir, 'jitbot.yaml');
    writeFileSync(policyPath, POLICY);
    const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty'];
    const lines = [
      ...names.map((name) => `/jit request ${name} 1h x`),
      ...Array.from({ length: 6 }, (_, i) => `/jit request deploy 10m try ${i + 1}`),
      '/jit cancel JIT-1',
      '/jit request deploy 10m after cancelling',
    ];
    const env = { REDIS_URL: inject('redisUrl'), JITBOT_KEY_PREFIX: prefix, JITBOT_DATA_DIR: path.join(dir, 'data'), JITBOT_POLICY: policyPath };
    const result = await runJitbot(['console'], { env, input: `${lines.join('\n')}\n`, timeoutMs: 55_000 });
    expect(result.code, result.stderr).toBe(0);
    const replies = transcriptBlocks(result.stdout)
      .filter((b) => b.header === 'to alice (only alice sees this)')
      .map((b) => b.body.trim());
    expect(replies.slice(0, 4)).toEqual(names.map((name) => `There is no resource "${name}". You may request: deploy.`));
    expect(replies.slice(4, 9).every((r) => /^JIT-[1-5]: requested deploy/.test(r))).toBe(true);
    expect(replies[9]).toBe('You have 5 open requests (the limit is 5); finish or cancel one (/jit list shows them), then ask again.');
    expect(replies[10]).toBe('JIT-1 is cancelled.');
    expect(replies[11]).toMatch(/^JIT-\d+: requested deploy/);
    // Only the five (and the one after cancelling) reached the approvers.
    expect(transcriptBlocks(result.stdout).filter((b) => b.header === '#approvals')).toHaveLength(6);
  }, 60_000);
});
