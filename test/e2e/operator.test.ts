import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { runJitbot, startJitbot, type JitbotProcess, type JitbotResult } from '../support/jitbot-process.js';
import { deleteByPrefix, uniquePrefix } from '../support/redis.js';

const POLICY = `version: 1
settings:
  approvalTimeout: 5m
  reminderBefore: 10s
  minDuration: 10s
people:
  alice: { email: alice@example.com }
  bob: { email: bob@example.com }
  carol: { email: carol@example.com }
groups:
  sre: [bob, carol]
admins: [group:sre]
issuers:
  gate:
    type: none
resources:
  deploy:
    description: Deploy gate
    issuer: gate
    approvers: [group:sre]
    approvals: 1
    defaultDuration: 5m
    maxDuration: 1h
    reason: optional
  prod-gate:
    issuer: gate
    approvers: [group:sre]
    approvals: 1
    maxDuration: 1h
    reason: required
`;

function explain(r: JitbotResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function tempDir(label: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `jitbot-operator-${label}-`));
  writeFileSync(path.join(dir, 'jitbot.yaml'), POLICY);
  return dir;
}

/** A console kept open (its workers carry out revocations) with stdin as the script. */
function openConsole(env: Record<string, string | undefined>): JitbotProcess {
  const running = startJitbot(['console'], { env, timeoutMs: 140_000 });
  cleanups.push(async () => {
    running.end();
    await running.result;
  });
  return running;
}

describe('operator CLI', () => {
  it('grants, requests, revoke (through a worker, audited with the OS user), audit export and verify', async () => {
    const dir = tempDir('redis');
    const prefix = uniquePrefix('op');
    const redis = new Redis(inject('redisUrl'));
    cleanups.push(async () => {
      await deleteByPrefix(redis, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    });
    const env = { REDIS_URL: inject('redisUrl'), JITBOT_KEY_PREFIX: prefix, JITBOT_DATA_DIR: path.join(dir, 'data'), JITBOT_POLICY: path.join(dir, 'jitbot.yaml') };
    const jit = (...args: string[]) => runJitbot(args, { env, timeoutMs: 60_000 });

    const chat = openConsole(env);
    chat.write(['request deploy 5m hotfix', '/as bob', 'approve JIT-1', '/wait JIT-1 active', '/as carol', 'request prod-gate 10m INC-9 checks', '/wait JIT-2 pending', ''].join('\n'));
    await chat.waitForOutput(/\[console\] JIT-2 is pending\./);

    // Commands that change nothing run side by side (each is a process start).
    const [grants, json, requests, pending, badState, unknown, notAnId, notActive] = await Promise.all([
      jit('grants'),
      jit('grants', '--json'),
      jit('requests'),
      jit('requests', '--state', 'pending', '--json'),
      jit('requests', '--state', 'bogus'),
      jit('revoke', 'JIT-99'),
      jit('revoke', 'banana'),
      jit('revoke', 'JIT-2'),
    ]);
    expect(grants.code, explain(grants)).toBe(0);
    const lines = grants.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID\s+REQUESTER\s+RESOURCE\s+STATE\s+ISSUER\s+ENDS AT\s+TIME LEFT$/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^JIT-1\s+alice\s+deploy\s+active\s+gate \(none\)\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+4m\d+s$/);

    expect(json.code, explain(json)).toBe(0);
    const rows = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
    expect(rows).toEqual([
      expect.objectContaining({ id: 'JIT-1', requester: 'alice', resource: 'deploy', state: 'active', issuer: 'gate', issuerType: 'none', approvedBy: ['bob'], reason: 'hotfix' }),
    ]);
    expect(rows[0]!.timeLeftMs).toBeGreaterThan(200_000);
    // Logs go to stderr: stdout is only the result.
    expect(grants.stdout).not.toContain('"level"');

    expect(requests.stdout).toMatch(/^ID\s+REQUESTER\s+RESOURCE\s+STATE\s+DURATION\s+CREATED AT\s+REASON\nJIT-2\s+carol\s+prod-gate\s+pending\s+10m\s+.*INC-9 checks\nJIT-1\s+alice\s+deploy\s+active\s+5m\s+.*hotfix\n$/);
    expect((JSON.parse(pending.stdout) as Array<{ id: string }>).map((r) => r.id)).toEqual(['JIT-2']);
    expect(badState.code).toBe(1);
    expect(badState.stderr).toContain('unknown state "bogus"; states are: pending, approved');

    expect(unknown.code, explain(unknown)).toBe(1);
    expect(unknown.stderr).toContain('there is no request JIT-99');
    expect(notAnId.code).toBe(1);
    expect(notAnId.stderr).toContain('"banana" is not a request id');
    expect(notActive.code).toBe(1);
    expect(notActive.stderr).toContain('JIT-2 is waiting for approval');

    const osUser = os.userInfo().username;
    const revoke = await jit('revoke', 'JIT-1', '--reason', 'left', 'the', 'company', '--wait', '20');
    expect(revoke.code, explain(revoke)).toBe(0);
    expect(revoke.stdout).toContain(`JIT-1: revoking alice's access to deploy now (requested by operator:${osUser}: left the company).`);
    expect(revoke.stdout).toContain('JIT-1: revoked.');
    await chat.waitForOutput(new RegExp(`has ended \\(revoked by operator:${osUser}\\)`));

    const [exported, csv, future, badSince, xml, verify, grantsAfter] = await Promise.all([
      jit('audit', 'export'),
      jit('audit', 'export', '--format', 'csv', '--since', '1h'),
      jit('audit', 'export', '--since', '2999-01-01'),
      jit('audit', 'export', '--since', 'yesterday'),
      jit('audit', 'export', '--format', 'xml'),
      jit('audit', 'verify'),
      jit('grants'),
    ]);
    expect(grantsAfter.stdout, explain(grantsAfter)).toBe('No grant holds access.\n');
    expect(exported.code, explain(exported)).toBe(0);
    const events = exported.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as { seq: number; type: string; actor: unknown; data: Record<string, unknown>; hash: string });
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const requested = events.find((e) => e.type === 'grant.revoke_requested');
    expect(requested?.actor).toEqual({ kind: 'operator', osUser });
    expect(requested?.data).toEqual({ reason: 'left the company' });

    const csvLines = csv.stdout.trimEnd().split('\n');
    expect(csvLines[0]).toBe('seq,at,type,requestId,actor,data,prev,hash');
    expect(csvLines).toHaveLength(events.length + 1);
    expect(csvLines.find((l) => l.includes('grant.revoke_requested'))).toContain(`,JIT-1,operator:${osUser},"{""reason"":""left the company""}",`);
    expect(future.stdout).toBe('');
    expect(badSince.code).toBe(1);
    expect(badSince.stderr).toContain('--since takes an ISO date');
    expect(xml.code).toBe(1);

    expect(verify.code, explain(verify)).toBe(0);
    expect(verify.stdout).toMatch(new RegExp(`^ok: ${events.length} events, chain intact(, \\d+ signed checkpoint\\(s\\) match \\(key [0-9a-f]{16}\\))?\\n$`));

    // Take event 2 out of the chain: verify names it and fails.
    await redis.xdel(`${prefix}audit`, '2-1');
    const broken = await jit('audit', 'verify');
    expect(broken.code, explain(broken)).toBe(1);
    expect(broken.stdout).toMatch(/^broken: the first broken link is event 2: event 2 is missing/);
  }, 150_000);

  it('without REDIS_URL: uses the embedded redis-server a running jitbot started, or starts one for the command', async () => {
    const dir = tempDir('embedded');
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const dataDir = path.join(dir, 'data');
    const env = { JITBOT_DATA_DIR: dataDir, JITBOT_POLICY: path.join(dir, 'jitbot.yaml') };

    const chat = openConsole(env);
    chat.write(['request deploy 5m', '/as bob', 'approve JIT-1', '/wait JIT-1 active', ''].join('\n'));
    await chat.waitForOutput(/\[console\] JIT-1 is active\./, 30_000);
    expect(existsSync(path.join(dataDir, 'redis.url'))).toBe(true);

    const grants = await runJitbot(['grants'], { env, timeoutMs: 30_000 });
    expect(grants.code, explain(grants)).toBe(0);
    expect(grants.stdout).toMatch(/^JIT-1\s+alice\s+deploy\s+active/m);
    const verify = await runJitbot(['audit', 'verify'], { env, timeoutMs: 30_000 });
    expect(verify.stdout, explain(verify)).toMatch(/^ok: (\d+) events, chain intact(, \d+ signed checkpoint\(s\) match \(key [0-9a-f]{16}\))?\n$/);
    const count = /^ok: (\d+)/.exec(verify.stdout)![1];

    chat.end();
    expect((await chat.result).code).toBe(0);
    expect(existsSync(path.join(dataDir, 'redis.url'))).toBe(false);

    // Nobody is running: the command starts the embedded redis-server on the same data (AOF) and stops it again.
    const again = await runJitbot(['audit', 'verify'], { env, timeoutMs: 30_000 });
    expect(again.code, explain(again)).toBe(0);
    // The console signed its head when it stopped: the checkpoints cover the whole trail.
    expect(again.stdout).toMatch(new RegExp(`^ok: ${count} events, chain intact, \\d+ signed checkpoint\\(s\\) match`));
    expect(existsSync(path.join(dataDir, 'redis.url'))).toBe(false);
  }, 150_000);
});
