import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCheck } from '../../../src/cli/check-command.js';
import { completePolicy, completePolicyPath, completePolicyText, repoRoot, testIssuerFactories } from './policy-helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'jitbot-check-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bin = path.join(repoRoot, 'bin/jitbot.js');

/** Runs the real `jitbot` command; the environment is the bare minimum plus `env`. */
function jitbot(args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, lines: result.stdout.trimEnd().split('\n') };
}

function writePolicy(name: string, text: string): string {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

describe('jitbot check', () => {
  it('accepts the complete example with a summary and a line per resource', () => {
    const run = jitbot(['check', 'test/fixtures/policies/complete.yaml']);
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      'ok: test/fixtures/policies/complete.yaml: 4 people, 3 groups, 2 issuers, 4 resources',
      '  prod-deploy     issuer gate (none), 2 approvers, 1 approval needed, 1m to 4h (default 1h), 1 auto-approval rule',
      '  prod-db-write   issuer change-gate (none), 3 approvers, 2 approvals needed, 5m to 2h (default 30m)',
      '  staging-deploy  issuer gate (none), 3 approvers, 1 approval needed, 1m to 1d (default 1h), 1 auto-approval rule',
      '  audit-read      issuer change-gate (none), 2 approvers, 1 approval needed, 1m to 8h (default 2h)',
    ]);
  });

  it('prints every problem with its place, then the count, and exits 1', () => {
    const broken = completePolicyText
      .replace('approvers: [group:sre]\n    approvals: 1', 'approvers: [group:sres]\n    approvals: 1')
      .replace('  minDuration: 1m\n', '  minDuration: 5s\n')
      .replace('    issuer: change-gate\n    requesters: [alice, dave]', '    issuer: chnage-gate\n    requesters: [alice, dave]');
    const file = writePolicy('broken.yaml', broken);
    const run = jitbot(['check', file]);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([
      'settings.minDuration: 5s is below the lowest allowed minimum, 10s (line 8, column 16)',
      'resources.prod-deploy.approvers[0]: unknown group "sres" (did you mean "group:sre"?) (line 50, column 17)',
      'resources.audit-read.issuer: unknown issuer "chnage-gate" (did you mean "change-gate"? issuers: gate, change-gate) (line 87, column 13)',
      `3 problems in ${file}`,
    ]);
  });

  it('reports YAML syntax errors with line and column', () => {
    const file = writePolicy('syntax.yaml', 'version: 1\npeople:\n  alice: { slack: U0ALICE\nresources: {}\n');
    const run = jitbot(['check', file]);
    expect(run.code).toBe(1);
    expect(run.lines[0]).toMatch(/^YAML syntax: .+ \(line 4, column 1\)$/);
    expect(run.lines.at(-1)).toBe(`1 problem in ${file}`);
  });

  it('fails for a named file that does not exist', () => {
    const missing = path.join(tmp, 'missing.yaml');
    const run = jitbot(['check', missing]);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([`policy file ${missing} does not exist`, `1 problem in ${missing}`]);
  });

  it('checks JITBOT_POLICY, or ./jitbot.yaml, when no file is named, and says when there is neither', () => {
    expect(jitbot(['check'], { env: { JITBOT_POLICY: completePolicyPath } }).lines[0]).toBe(`ok: ${completePolicyPath}: 4 people, 3 groups, 2 issuers, 4 resources`);
    const named = jitbot(['check'], { env: { JITBOT_POLICY: path.join(tmp, 'nope.yaml') } });
    expect(named.code).toBe(1);
    expect(named.stdout).toContain('nope.yaml does not exist');

    const none = jitbot(['check'], { cwd: tmp });
    expect(none.code).toBe(1);
    expect(none.stdout.trim()).toBe('no policy file to check: ./jitbot.yaml does not exist and JITBOT_POLICY is not set (name one: jitbot check <file>)');

    const dir = mkdtempSync(path.join(tmp, 'cwd-'));
    writeFileSync(path.join(dir, 'jitbot.yaml'), completePolicyText);
    const local = jitbot(['check'], { cwd: dir });
    expect(local.code).toBe(0);
    expect(local.lines[0]).toBe('ok: ./jitbot.yaml: 4 people, 3 groups, 2 issuers, 4 resources');
  });

  it('never prints a value taken from the environment', () => {
    const secret = 'U0TOPSECRETVALUE42';
    const data = completePolicy();
    data.people.alice.slack = '${ALICE_SLACK}';
    data.people.bob.slack = '${ALICE_SLACK}';
    data.resources['prod-deploy'].maxDuration = '${MAX}';
    const file = writePolicy('secrets.yaml', stringify(data));
    const run = jitbot(['check', file], { env: { ALICE_SLACK: secret, MAX: `${secret}-duration` } });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("people.bob.slack: Slack id [secret] is also alice's");
    expect(run.stdout).toContain('resources.prod-deploy.maxDuration: "[secret]" is not a duration');
    expect(run.stdout + run.stderr).not.toContain(secret);

    const unset = jitbot(['check', file], { env: { MAX: '4h' } });
    expect(unset.stdout).toContain('people.alice.slack: environment variable ALICE_SLACK is not set (nor ALICE_SLACK_FILE)');
  });
});

describe('jitbot check --explain', () => {
  it('explains an auto-approvable request', () => {
    const run = jitbot(['check', completePolicyPath, '--explain', 'bob', 'prod-deploy']);
    expect(run.code).toBe(0);
    expect(run.lines).toEqual([
      'bob and prod-deploy: Deploy the app to production (issuer gate, type none)',
      'may request: yes (requesters: group:engineers)',
      'approvers: carol (bob is an approver too, but nobody approves their own request)',
      'approvals needed: 1 distinct, from 1 eligible approver',
      'duration: min 1m, default 1h, max 4h',
      'reason: required; the reason must contain a ticket matching ^[A-Z]+-[0-9]+$',
      "auto-approval: autoApprove[0] (requesters: group:sre) approves bob's requests at once for up to 30m; longer requests need 1 approval",
    ]);
  });

  it('explains why a person may not request, and still who approves', () => {
    const run = jitbot(['check', completePolicyPath, '--explain', 'dave', 'prod-deploy']);
    expect(run.code).toBe(0);
    expect(run.lines).toContain('may request: no, dave is not among the requesters (group:engineers, that is: alice, bob, carol)');
    expect(run.lines).toContain('admin: yes, dave may revoke anyone\'s grant of prod-deploy');
    expect(run.lines).toContain('approvers: bob, carol');
    expect(run.lines).toContain('auto-approval: none for dave');
  });

  it('explains a two-approval resource and a rule without a limit', () => {
    const db = jitbot(['check', '--explain', 'carol', 'prod-db-write', completePolicyPath]);
    expect(db.code).toBe(0);
    expect(db.lines).toContain('approvers: bob, dave (carol is an approver too, but nobody approves their own request)');
    expect(db.lines).toContain('approvals needed: 2 distinct, from 2 eligible approvers');
    expect(db.lines).toContain('duration: min 5m, default 30m, max 2h');

    const staging = jitbot(['check', completePolicyPath, '--explain', 'alice', 'staging-deploy']);
    expect(staging.lines).toContain('may request: yes (requesters: everyone in people)');
    expect(staging.lines).toContain('approvals needed: none for alice, who is auto-approved (below); others need 1');
    expect(staging.lines).toContain("auto-approval: autoApprove[0] (requesters: group:engineers) approves alice's requests at once for any allowed duration");
  });

  it('rejects an unknown person or resource, and a wrong number of names', () => {
    const person = jitbot(['check', completePolicyPath, '--explain', 'alcie', 'prod-deploy']);
    expect(person.code).toBe(1);
    expect(person.stdout.trim()).toBe('unknown person "alcie" (did you mean "alice"?); people: alice, bob, carol, dave');
    const resource = jitbot(['check', completePolicyPath, '--explain', 'alice', 'prod']);
    expect(resource.code).toBe(1);
    expect(resource.stdout.trim()).toBe('unknown resource "prod"; resources: audit-read, prod-db-write, prod-deploy, staging-deploy');
    const one = jitbot(['check', completePolicyPath, '--explain', 'alice']);
    expect(one.code).toBe(1);
    expect(one.stdout).toContain('--explain takes a person and a resource');
  });

  it('lists the problems instead of explaining a broken policy', () => {
    const file = writePolicy('broken-explain.yaml', completePolicyText.replace('version: 1', 'version: 2'));
    const run = jitbot(['check', file, '--explain', 'bob', 'prod-deploy']);
    expect(run.code).toBe(1);
    expect(run.lines).toEqual([`version: only "version: 1" policies exist (line 3, column 10)`, `1 problem in ${file}`]);
  });
});

describe('runCheck, in process', () => {
  function check(args: { policy?: string; explain?: string[] }, env: NodeJS.ProcessEnv = {}) {
    const lines: string[] = [];
    const code = runCheck(args, { env, print: (line) => lines.push(line), issuerFactories: testIssuerFactories() });
    return { code, lines };
  }

  it('says when nobody may request a resource', () => {
    const data = completePolicy();
    data.resources['audit-read'].requesters = [];
    const file = writePolicy('nobody.yaml', stringify(data));
    const run = check({ policy: file, explain: ['alice', 'audit-read'] });
    expect(run.code).toBe(0);
    expect(run.lines[1]).toBe('may request: no, nobody may request audit-read (requesters: none)');
  });

  it('explains approvals: 0 and takes the policy from JITBOT_POLICY', () => {
    const data = completePolicy();
    data.resources['audit-read'].approvals = 0;
    const file = writePolicy('no-approval.yaml', stringify(data));
    const run = check({ explain: ['alice', 'audit-read'] }, { JITBOT_POLICY: file });
    expect(run.code).toBe(0);
    expect(run.lines).toContain('approvals needed: none (approvals: 0), requests are approved at once');
  });
});
