import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/config/load-policy.js';
import { loadText, problemsOf } from './policy-helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'jitbot-policy-vars-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SECRET = 'hook-secret-0123456789abcdef';

/** A policy whose `hook` issuer takes its URL and secret from the environment. */
const policy = (settings = 'url: ${HOOK_URL}\n    secret: ${HOOK_SECRET}'): string =>
  [
    'version: 1',
    'people:',
    '  alice: { slack: U0ALICE }',
    '  bob: { slack: U0BOB }',
    'issuers:',
    '  hook:',
    '    type: hook',
    `    ${settings}`,
    'resources:',
    '  deploy:',
    '    issuer: hook',
    '    params: { path: /deploy }',
    '    approvers: [alice, bob]',
    '    maxDuration: 1h',
  ].join('\n');

describe('${VAR} in policy values', () => {
  it('takes values from the environment and reports them as secrets', () => {
    const result = loadText(policy(), { HOOK_URL: 'https://hooks.example.com/jit', HOOK_SECRET: SECRET });
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.policy.issuers.hook).toEqual({ type: 'hook', url: 'https://hooks.example.com/jit', secret: SECRET });
    expect(result.secrets.sort()).toEqual(['https://hooks.example.com/jit', SECRET].sort());
  });

  it('reads VAR_FILE when VAR is not set, trimming the file', () => {
    const file = path.join(tmp, 'hook-secret');
    writeFileSync(file, `  ${SECRET}\n\n`);
    const result = loadText(policy(), { HOOK_URL: 'https://hooks.example.com', HOOK_SECRET_FILE: file });
    expect(result.ok && result.policy.issuers.hook?.secret).toBe(SECRET);
    expect(result.ok && result.secrets).toContain(SECRET);
  });

  it('replaces references inside longer strings, several per value', () => {
    const result = loadText(policy('url: https://${HOST}:${PORT}/jit\n    secret: ${HOOK_SECRET}'), { HOST: 'hooks.internal', PORT: '8443', HOOK_SECRET: SECRET });
    expect(result.ok && result.policy.issuers.hook?.url).toBe('https://hooks.internal:8443/jit');
  });

  it('reports an unset variable at its path and place', () => {
    const problems = problemsOf(loadText(policy(), { HOOK_URL: 'https://hooks.example.com' }));
    expect(problems).toEqual([
      { path: 'issuers.hook.secret', message: 'environment variable HOOK_SECRET is not set (nor HOOK_SECRET_FILE)', line: 9, column: 13 },
    ]);
  });

  it('treats an empty variable as unset, and reports every unset variable', () => {
    const problems = problemsOf(loadText(policy(), { HOOK_URL: '', HOOK_SECRET: '' }));
    expect(problems.map(formatProblem)).toEqual([
      'issuers.hook.url: environment variable HOOK_URL is not set (nor HOOK_URL_FILE) (line 8, column 10)',
      'issuers.hook.secret: environment variable HOOK_SECRET is not set (nor HOOK_SECRET_FILE) (line 9, column 13)',
    ]);
  });

  it('does not also judge the text of a value whose variable is unset', () => {
    // `${HOOK_URL}` is not a URL, but the unset variable is the one problem to fix.
    const problems = problemsOf(loadText(policy(), { HOOK_SECRET: SECRET }));
    expect(problems.map((p) => p.path)).toEqual(['issuers.hook.url']);
  });

  it('names a VAR_FILE that cannot be read, and VAR set twice', () => {
    const missing = path.join(tmp, 'no-such-file');
    const empty = path.join(tmp, 'empty');
    writeFileSync(empty, '\n');
    expect(problemsOf(loadText(policy(), { HOOK_URL: 'https://h.example', HOOK_SECRET_FILE: missing }))[0]?.message).toBe(
      `HOOK_SECRET_FILE names ${missing}, which does not exist`,
    );
    expect(problemsOf(loadText(policy(), { HOOK_URL: 'https://h.example', HOOK_SECRET_FILE: empty }))[0]?.message).toBe(
      `HOOK_SECRET_FILE names ${empty}, which is empty`,
    );
    expect(problemsOf(loadText(policy(), { HOOK_URL: 'https://h.example', HOOK_SECRET: SECRET, HOOK_SECRET_FILE: empty }))[0]?.message).toBe(
      'both HOOK_SECRET and HOOK_SECRET_FILE are set; set only one',
    );
  });

  it('keeps $${…} as a literal and rejects a reference that is not a name', () => {
    const literal = loadText(policy('url: https://h.example\n    secret: "$${NOT_A_VARIABLE}-1234567890"'), {});
    expect(literal.ok && literal.policy.issuers.hook?.secret).toBe('${NOT_A_VARIABLE}-1234567890');
    expect(literal.ok && literal.secrets).toEqual([]);

    const bad = problemsOf(loadText(policy('url: https://h.example\n    secret: "${not a name}"'), {}));
    expect(bad[0]).toMatchObject({ path: 'issuers.hook.secret', line: 9 });
    expect(bad[0]?.message).toContain('"${not a name}" is not a variable reference');
  });

  it('leaves keys alone: only values are interpolated', () => {
    const text = policy().replace('  deploy:', '  ${DEPLOY}:');
    const problems = problemsOf(loadText(text, { HOOK_URL: 'https://h.example', HOOK_SECRET: SECRET, DEPLOY: 'deploy' }));
    expect(problems.map((p) => p.path)).toEqual(['resources["${DEPLOY}"]']);
  });
});

describe('secret values never appear in problems', () => {
  // Each variable's value lands somewhere that fails validation, in a way whose message would quote
  // the text: a duration, a Slack id given twice, a URL, a too-short secret.
  const env = {
    HOOK_URL: 'not-a-url-but-very-secret-1',
    HOOK_SECRET: 'tiny-secret',
    DURATION: 'secret-duration-value-2',
    SLACK_ID: 'U0SECRETIDVALUE3',
  };
  const text = policy()
    .replace('  alice: { slack: U0ALICE }', '  alice: { slack: "${SLACK_ID}" }')
    .replace('  bob: { slack: U0BOB }', '  bob: { slack: "${SLACK_ID}" }')
    .replace('maxDuration: 1h', 'maxDuration: ${DURATION}');

  it('redacts every value taken from the environment', () => {
    const problems = problemsOf(loadText(text, env));
    const printed = problems.map(formatProblem).join('\n');
    expect(problems.map((p) => p.path)).toEqual(['people.bob.slack', 'issuers.hook.url', 'issuers.hook.secret', 'resources.deploy.maxDuration']);
    for (const value of Object.values(env)) expect(printed).not.toContain(value);
    expect(problems.find((p) => p.path === 'resources.deploy.maxDuration')?.message).toBe(
      '"[secret]" is not a duration. Use a number with a unit: 45s, 30m, 2h, 1d or 1h30m.',
    );
    expect(problems.find((p) => p.path === 'people.bob.slack')?.message).toBe("Slack id [secret] is also alice's; each must belong to one person");
  });
});
