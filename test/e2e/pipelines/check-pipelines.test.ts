import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runJitbot } from '../../support/jitbot-process.js';

// `jitbot check` as a process: loose GitHub pipeline principals are legal, but warned about.

const dir = mkdtempSync(path.join(tmpdir(), 'jitbot-check-pipelines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function policyWith(pipelines: string): string {
  const file = path.join(dir, `policy-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `version: 1
people:
  bob: { slack: U0BOB, github: bob-gh }
  carol: { slack: U0CAROL, github: carol-gh }
groups: { sre: [bob, carol] }
pipelines:
${pipelines}
issuers: { gate: { type: none } }
resources:
  prod:
    issuer: gate
    requesters: [pipeline:ci]
    approvers: [group:sre]
    maxDuration: 1h
    reason: optional
    channel: { slack: C0APPROVALS }
`,
  );
  return file;
}

const warnings = (stdout: string) => stdout.split('\n').filter((line) => line.startsWith('warning: '));

describe('jitbot check and pipeline principals', () => {
  it('warns about a principal that pins only the repository: any workflow, pull_request_target, forks (exit 0)', async () => {
    const file = policyWith('  ci: { provider: github, claims: { repository: acme/app } }');
    const run = await runJitbot(['check', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^ok: /);
    expect(warnings(run.stdout)).toEqual([
      expect.stringMatching(/^warning: pipelines\.ci\.claims: pipeline:ci pins none of environment, job_workflow_ref or event_name: any workflow/),
      expect.stringMatching(/^warning: pipelines\.ci\.claims: pipeline:ci can match pull_request_target and workflow_run runs \(event_name is not pinned\).*fork/),
      expect.stringMatching(/^warning: pipelines\.ci\.claims: pipeline:ci can match pull_request runs \(ref refs\/pull\/<n>\/merge\).*fork/),
    ]);

    const strict = await runJitbot(['check', '--strict', file]);
    expect(strict.code).toBe(1);
    expect(warnings(strict.stdout)).toHaveLength(3);
    expect(strict.stdout).toContain(`3 warnings in ${file} (--strict makes them errors)`);
  }, 60_000);

  it('warns when the event_name pattern lets pull_request_target through, even with the rest pinned', async () => {
    const file = policyWith('  ci: { provider: github, claims: { repository: acme/app, ref: refs/heads/main, environment: production, event_name: "pull_*" } }');
    const run = await runJitbot(['check', '--strict', file]);
    expect(run.code).toBe(1);
    expect(warnings(run.stdout)).toEqual([expect.stringMatching(/pipeline:ci can match pull_request_target runs \(event_name allows them\)/)]);
  }, 60_000);

  it('is quiet about pinned principals, and about GitLab ones (--strict exits 0)', async () => {
    const file = policyWith(`  ci:
    provider: github
    claims: { repository_id: 1339936803, ref: refs/heads/main, environment: production, event_name: [push, workflow_dispatch] }
  infra: { provider: gitlab, claims: { project_id: 4242, ref_protected: true } }`);
    const run = await runJitbot(['check', '--strict', file]);
    expect(run.stdout).not.toContain('warning');
    expect(run.code).toBe(0);
  }, 60_000);

  it('counts a workflow pinned to a branch as excluding pull_request runs, but not pull_request_target', async () => {
    const file = policyWith('  ci: { provider: github, claims: { repository: acme/app, job_workflow_ref: "acme/app/.github/workflows/deploy.yml@refs/heads/main" } }');
    const run = await runJitbot(['check', file]);
    expect(run.code).toBe(0);
    expect(warnings(run.stdout)).toEqual([expect.stringMatching(/pipeline:ci can match pull_request_target and workflow_run runs/)]);
  }, 60_000);
});
