// `jitbot start` with real Teams credentials (not TEAMS_INSECURE_NO_AUTH): /api/messages demands Bot
// Framework tokens, and a configuration that would leave it open does not start.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectTestRedis, type TestRedis } from '../support/redis.js';
import { runJitbot } from '../support/jitbot-process.js';
import { startJitbotServer, type RunningJitbot } from '../fakes/bot-framework-harness.js';

const APP_ID = '6d3c0c1e-1234-4abc-9def-0123456789ab';
const TENANT = 'b5d1f5c2-0d3e-4a6b-9f1e-7c2a1d4e5f60';
const POLICY = `
version: 1
settings: { minDuration: 10s }
people:
  alice: { teams: 11111111-1111-1111-1111-111111111111 }
  bob: { teams: 22222222-2222-2222-2222-222222222222 }
issuers:
  gate: { type: none }
resources:
  deploy: { issuer: gate, requesters: [alice], approvers: [bob], maxDuration: 1h, channel: { teams: '19:approvals@thread.tacv2' } }
`;

let redis: TestRedis;
let dir: string;
let bot: RunningJitbot;

beforeAll(async () => {
  redis = await connectTestRedis('teamsauth');
  dir = mkdtempSync(path.join(tmpdir(), 'jitbot-teams-auth-'));
  writeFileSync(path.join(dir, 'policy.yaml'), POLICY);
  bot = await startJitbotServer({
    REDIS_URL: redis.url,
    JITBOT_KEY_PREFIX: redis.prefix,
    JITBOT_DATA_DIR: dir,
    JITBOT_POLICY: path.join(dir, 'policy.yaml'),
    TEAMS_APP_ID: APP_ID,
    TEAMS_APP_PASSWORD: 'not-a-real-secret',
    TEAMS_TENANT_ID: TENANT,
  });
}, 60_000);

afterAll(async () => {
  await bot?.stop().catch(() => undefined);
  await redis?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const activity = {
  type: 'message',
  id: '1',
  text: 'request deploy 1h unsigned',
  channelId: 'msteams',
  serviceUrl: 'http://127.0.0.1:9/',
  from: { id: '29:alice', aadObjectId: '11111111-1111-1111-1111-111111111111' },
  recipient: { id: `28:${APP_ID}` },
  conversation: { id: 'a:personal', conversationType: 'personal', tenantId: TENANT },
  channelData: { tenant: { id: TENANT } },
};

describe('Teams authentication in the real process', () => {
  it('rejects unsigned and badly signed activities with 401 and acts on none of them', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(activity) });
    expect((await post({})).status).toBe(401);
    expect((await post({ authorization: 'Bearer not-a-token' })).status).toBe(401);
    expect((await post({ authorization: 'Basic YWxpY2U6c2VjcmV0' })).status).toBe(401);
    // Nothing was requested: the request counter was never touched.
    expect(await redis.redis.get(`${redis.prefix}seq:request`)).toBeNull();
    expect(bot.logs()).not.toMatch(/INSECURE/);
    expect(bot.logs()).toMatch(/Microsoft Teams ready.*"authenticated":true|"authenticated":true.*Microsoft Teams ready/);
  });

  it('checks the Authorization header before reading the body: unauthenticated oversized and malformed bodies get 401', async () => {
    const post = (body: string, headers: Record<string, string> = {}) =>
      fetch(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body }).then(
        async (r) => ({ status: r.status, text: await r.text() }),
        (error: unknown) => ({ status: 0, text: String(error) }),
      );
    // Malformed: before, this was parsed and answered 400 ("not JSON") to anyone.
    expect(await post('{"type":')).toMatchObject({ status: 401 });
    expect(await post('[1,2,3]', { authorization: 'Bearer not-a-token' })).toMatchObject({ status: 401 });
    expect(await post('{"type":', { authorization: 'Basic YWxpY2U6c2VjcmV0' })).toMatchObject({ status: 401 });
    // Oversized: refused for the missing token, not read (before: 413, after reading up to the limit).
    const big = JSON.stringify({ ...activity, text: 'x'.repeat(600 * 1024) });
    expect(await post(big)).toMatchObject({ status: 401 });
    // Within the limit but unauthenticated: 401 too, and never parsed as an activity.
    expect(await post(JSON.stringify({ ...activity, text: 'y'.repeat(200 * 1024) }))).toMatchObject({ status: 401 });
    const health = await fetch(`${bot.url}/healthz`);
    expect(health.status).toBe(200);
  });

  it('logs refused activities at most once a minute per reason, with a count, and prints no stack traces', async () => {
    const before = bot.logs().length;
    for (let i = 0; i < 40; i++) {
      const headers: Record<string, string> = i % 2 === 0 ? {} : { authorization: 'Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6Im5vIn0.eyJpc3MiOiJ4In0.c2ln' };
      const response = await fetch(`${bot.url}/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(activity) });
      expect(response.status).toBe(401);
      await response.text();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    const lines = bot.logs().slice(before).split('\n').filter((line) => line.trim() !== '');
    const refusals = lines.filter((line) => /teams request refused/.test(line));
    expect(refusals.length).toBeGreaterThanOrEqual(1);
    expect(refusals.length).toBeLessThanOrEqual(3);
    expect(lines.length).toBeLessThanOrEqual(6);
    expect(bot.logs()).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    expect(await redis.redis.get(`${redis.prefix}seq:request`)).toBeNull();
  });

  // Two process starts, each bounded by 30 s: the test's own bound covers both on a busy machine.
  it('does not start when the credentials are incomplete', async () => {
    const result = await runJitbot(['start'], {
      env: { REDIS_URL: redis.url, JITBOT_KEY_PREFIX: redis.prefix, JITBOT_DATA_DIR: dir, JITBOT_POLICY: path.join(dir, 'policy.yaml'), TEAMS_APP_PASSWORD: 'secret', TEAMS_TENANT_ID: TENANT },
      timeoutMs: 30_000,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('TEAMS_APP_ID');
    const noPassword = await runJitbot(['start'], {
      env: { REDIS_URL: redis.url, JITBOT_KEY_PREFIX: redis.prefix, JITBOT_DATA_DIR: dir, JITBOT_POLICY: path.join(dir, 'policy.yaml'), TEAMS_APP_ID: APP_ID },
      timeoutMs: 30_000,
    });
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('TEAMS_APP_PASSWORD');
  }, 75_000);
});
