import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { DEMO_POLICY_YAML } from '../../src/app/demo-policy.js';
import { jitbotEnv, REPO_ROOT, runJitbot, startJitbot, type JitbotResult } from '../support/jitbot-process.js';
import { waitFor } from '../support/engine.js';
import { uniquePrefix } from '../support/redis.js';

// The `jitbot` command as a new user meets it: --version, usage errors, init, check on the demo policy
// and on the docs' examples, and servers that refuse to run on the demo policy.

const tmp = mkdtempSync(path.join(tmpdir(), 'jitbot-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fresh empty directory: no ./jitbot.yaml there. */
function emptyDir(label: string): string {
  return mkdtempSync(path.join(tmp, `${label}-`));
}

function explain(r: JitbotResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

const VERSION = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

describe('jitbot --version and usage errors', () => {
  it('prints the package version, also as `npx --no -- jitbot --version`', async () => {
    for (const flag of ['--version', '-V']) {
      const run = await runJitbot([flag]);
      expect(run.code, explain(run)).toBe(0);
      expect(run.stdout).toBe(`${VERSION}\n`);
    }
    const npx = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn('npx', ['--no', '--', 'jitbot', '--version'], { cwd: REPO_ROOT, env: jitbotEnv({ npm_config_update_notifier: 'false' }), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
      child.on('close', (code) => resolve({ code, stdout }));
    });
    expect(npx.code).toBe(0);
    expect(npx.stdout).toBe(`${VERSION}\n`);
  }, 60_000);

  it.each([
    [['revoke'], "error: missing required argument 'id'", 'Usage: jitbot revoke [options] <id>', 'jitbot revoke --help'],
    [['check', '--bogus'], "error: unknown option '--bogus'", 'Usage: jitbot check [options] [policy]', 'jitbot check --help'],
    [['audit', 'export', '--format'], "error: option '--format <format>' argument missing", 'Usage: jitbot audit export [options]', 'jitbot audit export --help'],
    [['chek'], "error: unknown command 'chek'", 'Usage: jitbot [options] [command]', 'jitbot --help'],
  ])('%j prints the error and the usage of that command only', async (args, error, usage, help) => {
    const run = await runJitbot(args);
    expect(run.code, explain(run)).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(error);
    expect(lines).toContain(usage);
    expect(lines.at(-1)).toContain(`Run \`${help}\``);
    // Not the whole help: no option or command listing.
    expect(run.stderr).not.toMatch(/^Options:|^Commands:|display help for command/m);
    expect(lines.length).toBeLessThanOrEqual(4);
  });
});

describe('jitbot init', () => {
  it('writes the demo policy to ./jitbot.yaml, which passes check; refuses to overwrite without --force', async () => {
    const dir = emptyDir('init');
    const first = await runJitbot(['init'], { cwd: dir });
    expect(first.code, explain(first)).toBe(0);
    expect(first.stdout).toContain('wrote the demo policy to ./jitbot.yaml');
    expect(readFileSync(path.join(dir, 'jitbot.yaml'), 'utf8')).toBe(DEMO_POLICY_YAML);

    const check = await runJitbot(['check'], { cwd: dir });
    expect(check.code, explain(check)).toBe(0);
    expect(check.stdout).toMatch(/^ok: \.\/jitbot\.yaml: 4 people/);

    writeFileSync(path.join(dir, 'jitbot.yaml'), '# mine\n');
    const again = await runJitbot(['init'], { cwd: dir });
    expect(again.code, explain(again)).toBe(1);
    expect(again.stderr).toContain('./jitbot.yaml exists; not overwriting it (use --force');
    expect(readFileSync(path.join(dir, 'jitbot.yaml'), 'utf8')).toBe('# mine\n');

    const forced = await runJitbot(['init', '--force'], { cwd: dir });
    expect(forced.code, explain(forced)).toBe(0);
    expect(readFileSync(path.join(dir, 'jitbot.yaml'), 'utf8')).toBe(DEMO_POLICY_YAML);

    const named = await runJitbot(['init', 'policies-demo.yaml'], { cwd: dir });
    expect(named.code, explain(named)).toBe(0);
    expect(named.stdout).toContain('JITBOT_POLICY=policies-demo.yaml');
    const missingDir = await runJitbot(['init', 'no/such/dir/jitbot.yaml'], { cwd: dir });
    expect(missingDir.code).toBe(1);
    expect(missingDir.stderr).toContain('cannot write no/such/dir/jitbot.yaml: ENOENT');
  }, 60_000);
});

/** README.md and every page under docs/, in a stable order. */
const DOC_FILES = ['README.md', ...readdirSync(path.join(REPO_ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).sort().map((f) => path.join('docs', f))];

describe('jitbot check on the demo policy and on the README', () => {
  it('--explain answers about the demo policy when there is no policy file, and says so', async () => {
    const run = await runJitbot(['check', '--explain', 'alice', 'staging-deploy'], { cwd: emptyDir('explain') });
    expect(run.code, explain(run)).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('(no ./jitbot.yaml and JITBOT_POLICY is not set: explaining the built-in demo policy; `jitbot init` writes it to ./jitbot.yaml)');
    expect(lines[1]).toMatch(/^alice and staging-deploy: /);
    expect(lines).toContain('approvers: bob, carol, dave');
    // Plain `check` with no file still says there is nothing to check; JITBOT_POLICY=demo checks the demo.
    expect((await runJitbot(['check'], { cwd: emptyDir('nofile') })).code).toBe(1);
    const demo = await runJitbot(['check'], { cwd: emptyDir('demo'), env: { JITBOT_POLICY: 'demo' } });
    expect(demo.code, explain(demo)).toBe(0);
    expect(demo.stdout).toMatch(/^ok: the built-in demo policy: 4 people/);
  }, 30_000);

  it("the docs' complete examples pass `jitbot check` exactly as the docs print the command", async () => {
    // The README and the reference under docs/ (docs/policy.md has the complete example), read as one text.
    const readme = DOC_FILES.map((file) => readFileSync(path.join(REPO_ROOT, file), 'utf8')).join('\n');
    const claims = [...readme.matchAll(/passes\s+`((?:[A-Z_]+=\S+\s+)*)npx jitbot check jitbot\.yaml`(?:(?!```)[\s\S])*?```yaml\n([\s\S]*?)```/g)];
    expect(claims.length).toBeGreaterThan(0);
    // Every complete policy in the docs (a block starting with `version: 1`) is one of those claims.
    const complete = [...readme.matchAll(/```yaml\n(version: 1\n[\s\S]*?)```/g)].map((m) => m[1]);
    expect(claims.map((m) => m[2])).toEqual(complete);
    for (const [, assignments = '', yaml = ''] of claims) {
      const env = Object.fromEntries(assignments.trim().split(/\s+/).filter(Boolean).map((a) => a.split('=', 2) as [string, string]));
      const dir = emptyDir('readme');
      writeFileSync(path.join(dir, 'jitbot.yaml'), yaml);
      const run = await runJitbot(['check', 'jitbot.yaml'], { cwd: dir, env });
      expect(run.code, explain(run)).toBe(0);
      expect(run.stdout).toMatch(/^ok: jitbot\.yaml: /);
    }
  }, 30_000);
});

describe('Slack or Teams with no policy file', () => {
  const slackEnv = { SLACK_BOT_TOKEN: 'xoxb-000-000-notreal', SLACK_SIGNING_SECRET: 'not-a-real-signing-secret', SLACK_API_URL: 'http://127.0.0.1:9/api/' };
  const teamsEnv = { TEAMS_INSECURE_NO_AUTH: '1' };

  it.each([
    ['Slack', ['start'], slackEnv],
    ['Microsoft Teams', ['start'], teamsEnv],
    ['Slack and Microsoft Teams', ['web'], { ...slackEnv, ...teamsEnv }],
    ['`jitbot worker`', ['worker'], {}],
  ])('%s (jitbot %j) exits 2 saying it needs a policy file and how to get one', async (who, args, env) => {
    const run = await runJitbot(args, { cwd: emptyDir('nopolicy'), env, timeoutMs: 30_000 });
    expect(run.code, explain(run)).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`jitbot: ${who} needs a policy file: ./jitbot.yaml does not exist and JITBOT_POLICY is not set.`);
    expect(run.stderr).toContain('`jitbot init`');
    expect(run.stderr).toContain('JITBOT_POLICY=demo');
    expect(run.stderr).not.toContain('"level"');
  }, 40_000);

  it('JITBOT_POLICY=demo serves the demo policy on Teams when asked for explicitly', async () => {
    const dir = emptyDir('askdemo');
    const jit = startJitbot(['start'], {
      cwd: dir,
      env: { ...teamsEnv, JITBOT_POLICY: 'demo', REDIS_URL: inject('redisUrl'), JITBOT_KEY_PREFIX: uniquePrefix('askdemo'), JITBOT_DATA_DIR: path.join(dir, 'data'), LOG_LEVEL: 'info' },
      timeoutMs: 60_000,
    });
    await waitFor('jitbot running', () => jit.stderr().includes('jitbot running') || jit.child.exitCode !== null, 30_000, 50);
    expect(jit.child.exitCode, jit.stderr()).toBeNull();
    expect(jit.stderr()).toContain('"policy":"built-in demo policy (JITBOT_POLICY=demo)"');
    jit.kill('SIGTERM');
    expect((await jit.result).code).toBe(0);
  }, 60_000);
});
