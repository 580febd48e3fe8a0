import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadEnvironment, resolvePolicyPath, secretValues } from '../../../src/config/environment.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'jitbot-env-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BOT_TOKEN = 'xoxb-1111-2222-secretbottoken';
const SIGNING_SECRET = '8f14e45fceea167a5a36dedd4bea2543';
const APP_TOKEN = 'xapp-1-A111-secretapptoken';
const TEAMS_PASSWORD = 'teams~password.secret';

/** The ConfigError that loading `env` throws. */
function failure(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadEnvironment(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected the environment to be rejected');
}

describe('loadEnvironment', () => {
  it('has the defaults docs/operations.md lists for an empty environment', () => {
    expect(loadEnvironment({})).toEqual({
      policyPath: './jitbot.yaml',
      policyNamed: false,
      redisUrl: undefined,
      port: 3000,
      host: '0.0.0.0',
      slack: undefined,
      teams: undefined,
      logLevel: 'info',
      dataDir: '.jitbot',
      logLevelNamed: false,
      keyPrefix: 'jitbot:',
      secretKeyHex: undefined,
      loginName: undefined,
    });
  });

  it('reads every variable', () => {
    const environment = loadEnvironment({
      JITBOT_POLICY: '/etc/jitbot/policy.yaml',
      REDIS_URL: 'redis://:pw@redis.internal:6379/2',
      PORT: '8080',
      HOST: '127.0.0.1',
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: 'http://127.0.0.1:9999/api',
      TEAMS_APP_ID: '00000000-0000-0000-0000-000000000001',
      TEAMS_APP_PASSWORD: TEAMS_PASSWORD,
      TEAMS_TENANT_ID: 'contoso.onmicrosoft.com',
      LOG_LEVEL: 'DEBUG',
      JITBOT_DATA_DIR: '/var/lib/jitbot',
      JITBOT_KEY_PREFIX: 'staging:',
      JITBOT_SECRET_KEY: 'ab'.repeat(32),
      USER: 'ops',
      LOGNAME: 'ignored',
    });
    expect(environment).toEqual({
      policyPath: '/etc/jitbot/policy.yaml',
      policyNamed: true,
      redisUrl: 'redis://:pw@redis.internal:6379/2',
      port: 8080,
      host: '127.0.0.1',
      slack: { mode: 'http', botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, appToken: undefined, apiUrl: 'http://127.0.0.1:9999/api/', installation: {} },
      teams: { insecureNoAuth: false, appId: '00000000-0000-0000-0000-000000000001', appPassword: TEAMS_PASSWORD, tenantId: 'contoso.onmicrosoft.com' },
      logLevel: 'debug',
      dataDir: '/var/lib/jitbot',
      logLevelNamed: true,
      keyPrefix: 'staging:',
      secretKeyHex: 'ab'.repeat(32),
      loginName: 'ops',
    });
  });

  it('takes LOGNAME for the login name when USER is unset, and treats empty values as unset', () => {
    const environment = loadEnvironment({ LOGNAME: 'ops', USER: '', JITBOT_KEY_PREFIX: '', LOG_LEVEL: '' });
    expect(environment.loginName).toBe('ops');
    expect(environment.keyPrefix).toBe('jitbot:');
    expect(environment.logLevelNamed).toBe(false);
  });

  it('uses Socket Mode when SLACK_APP_TOKEN is set, with no signing secret needed', () => {
    expect(loadEnvironment({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN }).slack).toEqual({
      mode: 'socket',
      botToken: BOT_TOKEN,
      appToken: APP_TOKEN,
      signingSecret: undefined,
      apiUrl: undefined,
      installation: {},
    });
  });

  it('pins the Slack installation from SLACK_TEAM_ID, SLACK_ENTERPRISE_ID and SLACK_APP_ID, and names a malformed one', () => {
    const pinned = { SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, SLACK_TEAM_ID: 'T0123ABCD', SLACK_ENTERPRISE_ID: 'E0123ABCD', SLACK_APP_ID: 'A0123ABCD' };
    expect(loadEnvironment(pinned).slack?.installation).toEqual({ teamId: 'T0123ABCD', enterpriseId: 'E0123ABCD', appId: 'A0123ABCD' });
    expect(failure({ ...pinned, SLACK_TEAM_ID: 'workspace' }).problems).toEqual([
      { variable: 'SLACK_TEAM_ID', message: 'expected a workspace id such as T0123ABCD (got "workspace")' },
    ]);
  });

  it('allows Teams without auth for the emulator, and treats empty values as unset', () => {
    const environment = loadEnvironment({ TEAMS_INSECURE_NO_AUTH: '1', PORT: '', SLACK_BOT_TOKEN: '' });
    expect(environment.teams).toEqual({ insecureNoAuth: true, appId: undefined, appPassword: undefined, tenantId: undefined });
    expect(environment.port).toBe(3000);
    expect(environment.slack).toBeUndefined();
    expect(loadEnvironment({ TEAMS_INSECURE_NO_AUTH: '0' }).teams).toBeUndefined();
    expect(loadEnvironment({ PORT: '0' }).port).toBe(0);
  });

  it('reads secrets from <NAME>_FILE, trimmed', () => {
    const dir = path.join(tmp, 'secrets');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'bot'), `${BOT_TOKEN}\n`);
    writeFileSync(path.join(dir, 'signing'), ` ${SIGNING_SECRET} `);
    writeFileSync(path.join(dir, 'teams'), TEAMS_PASSWORD);
    writeFileSync(path.join(dir, 'redis'), 'rediss://default:s3cr%40t@redis.example:6380');
    const environment = loadEnvironment({
      SLACK_BOT_TOKEN_FILE: path.join(dir, 'bot'),
      SLACK_SIGNING_SECRET_FILE: path.join(dir, 'signing'),
      TEAMS_APP_ID: 'app',
      TEAMS_APP_PASSWORD_FILE: path.join(dir, 'teams'),
      REDIS_URL_FILE: path.join(dir, 'redis'),
    });
    expect(environment.slack?.botToken).toBe(BOT_TOKEN);
    expect(environment.slack?.signingSecret).toBe(SIGNING_SECRET);
    expect(environment.teams?.appPassword).toBe(TEAMS_PASSWORD);
    expect(environment.redisUrl).toBe('rediss://default:s3cr%40t@redis.example:6380');
    expect(secretValues(environment).sort()).toEqual([BOT_TOKEN, SIGNING_SECRET, TEAMS_PASSWORD, 's3cr%40t', 's3cr@t'].sort());
  });

  it('lists every bad variable by name in one error', () => {
    const error = failure({ PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'localhost:6379', SLACK_API_URL: 'ftp://x', TEAMS_INSECURE_NO_AUTH: 'maybe' });
    expect(error.problems).toEqual([
      { variable: 'REDIS_URL', message: 'expected a URL such as redis://host:6379 or rediss://user:password@host:6380/0' },
      { variable: 'PORT', message: 'must be a whole number from 0 to 65535 (got "eighty")' },
      { variable: 'SLACK_API_URL', message: 'expected an http(s) URL such as https://slack.com/api/' },
      { variable: 'TEAMS_INSECURE_NO_AUTH', message: 'expected 1 or 0 (got "maybe")' },
      { variable: 'LOG_LEVEL', message: 'expected one of fatal, error, warn, info, debug, trace, silent (got "loud")' },
    ]);
    expect(error.message).toMatch(/^invalid configuration \(5 problems in the environment\):\n {2}REDIS_URL: /);
    expect(failure({ PORT: '70000' }).problems[0]?.variable).toBe('PORT');
  });

  it('names missing partners: Slack and Teams need their variables in pairs', () => {
    expect(failure({ SLACK_BOT_TOKEN: BOT_TOKEN }).problems).toEqual([
      { variable: 'SLACK_SIGNING_SECRET', message: 'not set, but SLACK_BOT_TOKEN is: Slack over HTTP needs both (or set SLACK_APP_TOKEN for Socket Mode)' },
    ]);
    expect(failure({ SLACK_SIGNING_SECRET: SIGNING_SECRET }).problems.map((p) => p.variable)).toEqual(['SLACK_BOT_TOKEN']);
    expect(failure({ TEAMS_APP_ID: 'app' }).problems.map((p) => p.variable)).toEqual(['TEAMS_APP_PASSWORD']);
    expect(failure({ TEAMS_APP_PASSWORD: TEAMS_PASSWORD }).problems.map((p) => p.variable)).toEqual(['TEAMS_APP_ID']);
  });

  it('tells a token of the wrong kind by its prefix, never printing it', () => {
    const error = failure({ SLACK_BOT_TOKEN: APP_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_APP_TOKEN: BOT_TOKEN });
    expect(error.problems).toEqual([
      { variable: 'SLACK_BOT_TOKEN', message: 'a Slack bot token starts with xoxb-; this looks like an app-level token (SLACK_APP_TOKEN)' },
      { variable: 'SLACK_APP_TOKEN', message: 'a Slack app-level token starts with xapp-; this looks like a bot token (SLACK_BOT_TOKEN)' },
    ]);
    for (const secret of [APP_TOKEN, BOT_TOKEN, SIGNING_SECRET]) expect(error.message).not.toContain(secret);
  });

  it('names a secret file that cannot be read, and a secret set twice', () => {
    const missing = path.join(tmp, 'missing-token');
    expect(failure({ SLACK_BOT_TOKEN_FILE: missing, SLACK_SIGNING_SECRET: SIGNING_SECRET }).problems).toEqual([
      { variable: 'SLACK_BOT_TOKEN_FILE', message: `SLACK_BOT_TOKEN_FILE names ${missing}, which does not exist` },
    ]);
    const error = failure({ TEAMS_APP_ID: 'app', TEAMS_APP_PASSWORD: TEAMS_PASSWORD, TEAMS_APP_PASSWORD_FILE: missing });
    expect(error.problems).toEqual([{ variable: 'TEAMS_APP_PASSWORD', message: 'both TEAMS_APP_PASSWORD and TEAMS_APP_PASSWORD_FILE are set; set only one' }]);
    expect(error.message).not.toContain(TEAMS_PASSWORD);
  });

  it('does not read _FILE for variables that are not secrets', () => {
    const file = path.join(tmp, 'port');
    writeFileSync(file, '9999');
    expect(loadEnvironment({ PORT_FILE: file }).port).toBe(3000);
  });
});

describe('secretValues', () => {
  it('lists the secrets that are set and nothing else', () => {
    const environment = loadEnvironment({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, REDIS_URL: 'redis://redis.internal:6379', HOST: '10.0.0.1' });
    expect(secretValues(environment).sort()).toEqual([APP_TOKEN, BOT_TOKEN].sort());
    expect(secretValues(loadEnvironment({}))).toEqual([]);
  });
});

describe('resolvePolicyPath', () => {
  it('is ./jitbot.yaml, unnamed, when JITBOT_POLICY is unset, and says whether it exists', () => {
    const empty = path.join(tmp, 'empty-dir');
    mkdirSync(empty, { recursive: true });
    expect(resolvePolicyPath({}, empty)).toEqual({ path: './jitbot.yaml', named: false, exists: false });
    const withFile = path.join(tmp, 'with-file');
    mkdirSync(withFile, { recursive: true });
    writeFileSync(path.join(withFile, 'jitbot.yaml'), 'version: 1\n');
    expect(resolvePolicyPath({ JITBOT_POLICY: '' }, withFile)).toEqual({ path: './jitbot.yaml', named: false, exists: true });
  });

  it('is the named file when JITBOT_POLICY is set, even when it is missing', () => {
    expect(resolvePolicyPath({ JITBOT_POLICY: 'policies/prod.yaml' }, tmp)).toEqual({ path: 'policies/prod.yaml', named: true, exists: false });
    const file = path.join(tmp, 'named.yaml');
    writeFileSync(file, 'version: 1\n');
    expect(resolvePolicyPath({ JITBOT_POLICY: file })).toEqual({ path: file, named: true, exists: true });
  });
});
