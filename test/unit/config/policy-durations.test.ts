import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../src/config/load-policy.js';
import { completePolicy, loadData, problemsOf } from './policy-helpers.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

function accepted(data: Record<string, unknown>) {
  const result = loadData(data);
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.policy;
}

describe('durations in a policy', () => {
  it.each([
    ['45s', 45_000],
    ['30m', 30 * MINUTE],
    ['2h', 2 * HOUR],
    ['1d', 24 * HOUR],
    ['1h30m', 90 * MINUTE],
    ['1d2h3m4s', 24 * HOUR + 2 * HOUR + 3 * MINUTE + 4_000],
  ])('reads %s as %i ms', (text, ms) => {
    const data = completePolicy();
    data.settings.minDuration = '10s';
    data.resources['staging-deploy'].maxDuration = text;
    expect(accepted(data).resources['staging-deploy']?.maxDuration).toBe(ms);
  });

  it.each(['90', '1.5h', '1H', '30 m', '2w', '1m1h', '-5m', '0m', ''])('rejects %j with the accepted forms', (text) => {
    const data = completePolicy();
    data.resources['staging-deploy'].maxDuration = text;
    const problem = problemsOf(loadData(data)).find((p) => p.path === 'resources.staging-deploy.maxDuration');
    expect(problem?.message).toMatch(/is not a duration\. Use a number with a unit|is zero/);
  });

  it('fills in the settings defaults', () => {
    const data = completePolicy();
    delete data.settings;
    expect(accepted(data).settings).toEqual({ approvalTimeout: 30 * MINUTE, reminderBefore: 5 * MINUTE, minDuration: MINUTE, reannounceAfter: 15 * MINUTE, limits: { openPerRequester: 5, openPerPipeline: 5, requestsPerMinute: 10 }, audit: {}, retention: {} });
  });

  it('takes settings.audit.signingKeyFile and refuses other audit settings', () => {
    const data = completePolicy();
    data.settings.audit = { signingKeyFile: '/run/secrets/audit.pem' };
    expect(accepted(data).settings.audit).toEqual({ signingKeyFile: '/run/secrets/audit.pem' });
    data.settings.audit = { signingKey: 'inline' };
    expect(problemsOf(loadData(data)).map(formatProblem).join('\n')).toMatch(/settings\.audit/);
  });

  it('allows a minimum as low as 10s, not lower', () => {
    const data = completePolicy();
    data.settings.minDuration = '10s';
    expect(accepted(data).settings.minDuration).toBe(10_000);
    data.settings.minDuration = '9s';
    expect(problemsOf(loadData(data)).map(formatProblem)).toEqual([
      'settings.minDuration: 9s is below the lowest allowed minimum, 10s (line 5, column 16)',
    ]);
  });

  it('judges default and maximum against the larger of the global and the resource minimum', () => {
    const data = completePolicy();
    data.settings.minDuration = '45m';
    // prod-deploy: default 1h, max 4h, auto-approve up to 30m → the rule can never apply.
    // prod-db-write: own minimum 5m, default 30m → below 45m.
    const problems = problemsOf(loadData(data));
    expect(problems.map((p) => [p.path, p.message])).toEqual([
      ['resources.prod-deploy.autoApprove[0].maxDuration', 'this rule can never apply: 30m is shorter than the minimum duration 45m (settings.minDuration)'],
      ['resources.prod-db-write.defaultDuration', '30m is shorter than the minimum duration 45m (settings.minDuration)'],
    ]);
  });

  it('accepts a default equal to the maximum and a maximum equal to the minimum', () => {
    const data = completePolicy();
    data.resources['prod-deploy'].defaultDuration = '4h';
    data.resources['prod-db-write'].maxDuration = '5m';
    data.resources['prod-db-write'].defaultDuration = '5m';
    const policy = accepted(data);
    expect(policy.resources['prod-db-write']?.maxDuration).toBe(5 * MINUTE);
  });
});
