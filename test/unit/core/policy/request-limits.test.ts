import { describe, expect, it } from 'vitest';
import { requestLimits, limitReached } from '../../../../src/core/policy/request-limits.js';
import { PolicySchema } from '../../../../src/core/policy/policy-schema.js';
import { completePolicy, loadData, problemsOf, type PolicyData } from '../../config/policy-helpers.js';

const policy = (limits?: Record<string, unknown>, deployLimits?: Record<string, unknown>) =>
  PolicySchema.parse({
    version: 1,
    ...(limits ? { settings: { limits } } : {}),
    people: { alice: {}, bob: {} },
    issuers: { gate: { type: 'none' } },
    resources: {
      deploy: { issuer: 'gate', approvers: ['bob'], maxDuration: '1h', ...(deployLimits ? { limits: deployLimits } : {}) },
      logs: { issuer: 'gate', approvers: ['bob'], maxDuration: '1h' },
    },
  });

describe('settings.limits', () => {
  it('defaults to 5 open requests per person and per pipeline principal, and 10 requests a minute', () => {
    expect(policy().settings.limits).toEqual({ openPerRequester: 5, openPerPipeline: 5, requestsPerMinute: 10 });
    expect(policy({ requestsPerMinute: 30 }).settings.limits).toEqual({ openPerRequester: 5, openPerPipeline: 5, requestsPerMinute: 30 });
  });

  it('applies the settings over all resources, a resource’s own limit over that resource', () => {
    const p = policy({ openPerRequester: 3 }, { openPerRequester: 1 });
    expect(requestLimits(p, p.resources.logs!, 'alice')).toEqual([
      { kind: 'open', scope: 'requester', limit: 3 },
      { kind: 'perMinute', scope: 'requester', limit: 10 },
    ]);
    expect(requestLimits(p, p.resources.deploy!, 'alice')).toEqual([
      { kind: 'open', scope: 'resource', limit: 1 },
      { kind: 'perMinute', scope: 'requester', limit: 10 },
    ]);
  });

  it('a pipeline principal is held to openPerPipeline; a deployment gate to none', () => {
    const p = policy({ openPerRequester: 3, openPerPipeline: 7 });
    expect(requestLimits(p, p.resources.logs!, 'pipeline:ci')[0]).toEqual({ kind: 'open', scope: 'requester', limit: 7 });
    expect(requestLimits(p, p.resources.logs!, 'deployment:acme/app@production')).toEqual([]);
  });

  it('words each refusal with the limit and when to ask again', () => {
    expect(limitReached({ kind: 'perMinute', scope: 'requester', limit: 10 }, { count: 10, retryAfterMs: 41_200 }, 'deploy', 'alice').message).toBe(
      '10 requests a minute is the limit; try again in 42 s.',
    );
    expect(limitReached({ kind: 'perMinute', scope: 'resource', limit: 1 }, { count: 1, retryAfterMs: 10 }, 'deploy', 'alice').message).toBe(
      '1 request a minute of deploy is the limit; try again in 1 s.',
    );
    expect(limitReached({ kind: 'open', scope: 'resource', limit: 5 }, { count: 5, retryAfterMs: 0 }, 'prod-deploy', 'alice').message).toBe(
      'You have 5 open prod-deploy requests (the limit for prod-deploy); finish or cancel one (/jit list shows them), then ask again.',
    );
  });
});

describe('bad limits are refused at load, at their place', () => {
  const cases: [string, (p: PolicyData) => void, string, string][] = [
    ['zero open requests', (p) => (p.settings = { limits: { openPerRequester: 0 } }), 'settings.limits.openPerRequester', 'at least 1'],
    ['a fraction', (p) => (p.settings = { limits: { requestsPerMinute: 2.5 } }), 'settings.limits.requestsPerMinute', 'whole number'],
    ['text', (p) => (p.settings = { limits: { openPerPipeline: 'five' } }), 'settings.limits.openPerPipeline', 'number'],
    ['an unknown limit', (p) => (p.settings = { limits: { openPerUser: 5 } }), 'settings.limits.openPerUser', 'unknown field "openPerUser"'],
    ['a resource limit below 1', (p) => (p.resources['prod-deploy'].limits = { requestsPerMinute: -1 }), 'resources.prod-deploy.limits.requestsPerMinute', 'at least 1'],
    ['an unknown resource limit', (p) => (p.resources['prod-deploy'].limits = { perHour: 5 }), 'resources.prod-deploy.limits.perHour', 'unknown field "perHour"'],
  ];
  it.each(cases)('%s', (_name, breakIt, path, message) => {
    const data = completePolicy();
    breakIt(data);
    const problem = problemsOf(loadData(data)).find((p) => p.path === path);
    expect(problem?.message).toContain(message);
  });
});
