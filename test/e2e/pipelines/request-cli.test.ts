import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { person, waitFor } from '../../support/engine.js';
import { FakeOidc } from '../../fakes/fake-oidc.js';
import { AUDIENCE } from '../../integration/pipelines/pipeline-harness.js';

import { useCliHarness } from './cli-harness.js';

const h = useCliHarness();
const { jitbot, githubJob, nextRequest, known } = h;

describe('jitbot request --wait in a GitHub Actions job', () => {
  it('waits for approval in chat and writes the credential to a 0600 file (exit 0)', async () => {
    const before = await known('pipeline:deployer');
    const file = path.join(h.dir, 'db-credential');
    const running = jitbot(['request', '--resource', 'prod-db', '--duration', '15m', '--reason', 'migrate schema 42', '--wait', '--output-file', file], githubJob());
    const request = await nextRequest('pipeline:deployer', before);
    expect(request).toMatchObject({ resource: 'prod-db', durationMs: 15 * 60_000, reason: 'migrate schema 42' });
    await h.jit.app.core.approve(person('bob'), request.id);
    const run = await running;
    expect(run.stderr).toContain(`${request.id} approved`);
    expect(run.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(`secret-${request.id}-value`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(run.stdout.trim())).toMatchObject({ id: request.id, status: 'active' });
    expect(run.stderr).not.toContain(`secret-${request.id}-value`);
    expect(h.github.tokenRequests.every((t) => t.audience === AUDIENCE)).toBe(true);
  }, 90_000);

  it('masks the credential and hands it to later steps as an output; `jitbot release` ends the access', async () => {
    const before = await known('pipeline:deployer');
    const outputs = path.join(h.dir, 'github-output');
    const envFile = path.join(h.dir, 'github-env');
    writeFileSync(outputs, '');
    writeFileSync(envFile, '');
    const job = githubJob({}, { GITHUB_ACTIONS: 'true', GITHUB_OUTPUT: outputs, GITHUB_ENV: envFile });
    const running = jitbot(['request', '--resource', 'prod-db', '--reason', 'deploy', '--wait'], job);
    const request = await nextRequest('pipeline:deployer', before);
    await h.jit.app.core.approve(person('carol'), request.id);
    const run = await running;
    expect(run.code).toBe(0);
    const secret = `secret-${request.id}-value`;
    expect(run.stdout).toContain(`::add-mask::${secret}`);
    expect(run.stdout.split(secret).length - 1).toBe(1); // only inside the mask command
    expect(readFileSync(outputs, 'utf8')).toMatch(new RegExp(`request-id=${request.id}\\ncredential<<(JITBOT_[0-9a-f]+)\\n${secret}\\n\\1\\n`));
    // Later steps of this job (GITHUB_ENV) get the id and the pickup secret, which is masked first.
    const exported = /^JITBOT_REQUEST_ID=(JIT-\d+)\nJITBOT_PICKUP_SECRET=([A-Za-z0-9_-]{43})\n$/.exec(readFileSync(envFile, 'utf8'));
    expect(exported?.[1]).toBe(request.id);
    const pickup = exported![2]!;
    expect(run.stdout).toContain(`::add-mask::${pickup}\n`);
    expect(run.stderr).not.toContain(pickup);

    // Without the pickup secret, a step (or another job of the run) cannot end the access.
    const refused = await jitbot(['release'], { ...job, JITBOT_REQUEST_ID: request.id });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('404');
    // The job's last step (if: always()).
    const released = await jitbot(['release'], { ...job, JITBOT_REQUEST_ID: request.id, JITBOT_PICKUP_SECRET: pickup });
    expect(released.code).toBe(0);
    await waitFor('released', async () => (await h.jit.app.store.get(request.id))?.status === 'released');
  }, 90_000);

});

describe('jitbot request in a GitLab job', () => {
  it('reads the id_tokens variable, writes the credential to stdout, and releases in after_script with --id-file', async () => {
    const before = await known('pipeline:infra-apply');
    const token = await h.gitlab.sign(FakeOidc.gitlabClaims(), { audience: AUDIENCE });
    const job = { JITBOT_URL: h.jit.url, JITBOT_OIDC_AUDIENCE: AUDIENCE, JITBOT_ID_TOKEN: token };
    const idFile = path.join(h.dir, '.jit-id');
    const running = jitbot(['request', '--resource', 'infra-state', '--duration', '20m', '--reason', 'terraform apply', '--wait', '--output-file', '-', '--id-file', idFile], job);
    const request = await nextRequest('pipeline:infra-apply', before);
    // erin's email is in the policy, so jitbot can tell she did not trigger the run (carol did).
    await h.jit.app.core.approve(person('erin'), request.id);
    const run = await running;
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`secret-${request.id}-value\n`);
    // The id and, beside it, the pickup secret `jitbot release` needs: readable by the job's user only.
    expect(readFileSync(idFile, 'utf8')).toMatch(new RegExp(`^${request.id}\\n[A-Za-z0-9_-]{43}\\n$`));
    expect(statSync(idFile).mode & 0o777).toBe(0o600);
    expect(run.stderr).not.toContain(readFileSync(idFile, 'utf8').split('\n')[1]);
    const released = await jitbot(['release', '--id-file', idFile], job);
    expect(released.code).toBe(0);
    await waitFor('released', async () => (await h.jit.app.store.get(request.id))?.status === 'released');
  }, 90_000);
});
