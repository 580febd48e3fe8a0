import { describe, expect, it } from 'vitest';
import { JitError } from '../../../../src/core/domain/errors.js';
import { checkMayApprove, mayRequest, membersOf, resourceForRequest } from '../../../../src/core/policy/evaluate-policy.js';
import { groupNamed, issuerNamed, ownEntry, personNamed, pipelineNamed, resourceNamed } from '../../../../src/core/policy/policy-lookup.js';
import { PolicySchema } from '../../../../src/core/policy/policy-schema.js';
import { loadText, problemsOf } from '../../config/policy-helpers.js';

// Every name that a plain `map[name]` finds on any object, though no policy defined it.
const INHERITED = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', '__defineGetter__'];

const policy = PolicySchema.parse({
  version: 1,
  people: { alice: {}, bob: {} },
  groups: { sre: ['bob'] },
  issuers: { gate: { type: 'none' } },
  resources: { deploy: { issuer: 'gate', approvers: ['group:sre'], maxDuration: '1h' } },
  pipelines: { ci: { provider: 'github', claims: { repository: 'acme/app' } } },
});

describe('policy lookups see only the names the policy defines', () => {
  it.each(INHERITED)('%s is no resource, person, group, issuer or pipeline', (name) => {
    expect(resourceNamed(policy, name)).toBeUndefined();
    expect(personNamed(policy, name)).toBeUndefined();
    expect(groupNamed(policy, name)).toBeUndefined();
    expect(issuerNamed(policy, name)).toBeUndefined();
    expect(pipelineNamed(policy, name)).toBeUndefined();
    expect(ownEntry({}, name)).toBeUndefined();
  });

  it('defined names are found', () => {
    expect(resourceNamed(policy, 'deploy')?.issuer).toBe('gate');
    expect(personNamed(policy, 'alice')).toEqual({});
    expect(groupNamed(policy, 'sre')).toEqual(['bob']);
    expect(issuerNamed(policy, 'gate')?.type).toBe('none');
    expect(pipelineNamed(policy, 'ci')?.provider).toBe('github');
  });

  it.each(INHERITED)('requesting %s gets "there is no resource" with the list', (name) => {
    expect(mayRequest(policy, 'alice', name)).toBe(false);
    let error: unknown;
    try {
      resourceForRequest(policy, 'alice', name);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(JitError);
    expect((error as JitError).code).toBe('POLICY.UNKNOWN_RESOURCE');
    expect((error as JitError).message).toBe(`There is no resource "${name}". You may request: deploy.`);
  });

  it.each(INHERITED)('references to %s (person, group:, pipeline:) denote nobody', (name) => {
    expect([...membersOf(policy, [name, `group:${name}`, `pipeline:${name}`])]).toEqual([]);
    expect(() => checkMayApprove(policy, name, 'bob', 'alice')).toThrow('You are not an approver');
  });
});

describe('a policy that names an entry like an inherited property', () => {
  it('refuses "__proto__" under every name map, which would otherwise vanish silently', () => {
    const text = [
      'version: 1',
      'people:',
      '  __proto__: {}',
      '  alice: {}',
      '  bob: {}',
      'groups:',
      '  __proto__: [alice]',
      'issuers:',
      '  __proto__: { type: none }',
      '  gate: { type: none }',
      'resources:',
      '  __proto__: { issuer: gate, approvers: [bob], maxDuration: 1h }',
      '  deploy: { issuer: gate, approvers: [bob], maxDuration: 1h }',
      'pipelines:',
      '  __proto__: { provider: github, claims: { repository: acme/app } }',
    ].join('\n');
    const messages = problemsOf(loadText(text)).map((p) => p.message).filter((m) => m.includes('__proto__'));
    for (const section of ['people', 'groups', 'issuers', 'resources', 'pipelines']) {
      expect(messages.some((m) => m.includes(`"__proto__" cannot be a name under ${section}`))).toBe(true);
    }
  });

  it('takes "constructor" as an ordinary name: a resource, person and issuer of that name work', () => {
    const text = [
      'version: 1',
      'people: { constructor: {}, bob: {} }',
      'issuers: { constructor: { type: none } }',
      'resources:',
      '  constructor: { issuer: constructor, requesters: [constructor], approvers: [bob], maxDuration: 1h }',
    ].join('\n');
    const result = loadText(text);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(resourceNamed(result.policy, 'constructor')?.issuer).toBe('constructor');
    expect(resourceForRequest(result.policy, 'constructor', 'constructor').maxDuration).toBe(3_600_000);
  });

  it('an issuer named like an inherited property is unknown unless defined', () => {
    const text = ['version: 1', 'people: { alice: {}, bob: {} }', 'resources:', '  deploy: { issuer: toString, approvers: [bob], maxDuration: 1h }'].join('\n');
    expect(problemsOf(loadText(text)).some((p) => p.message.includes('unknown issuer "toString"'))).toBe(true);
  });

  it('a deployment gate naming "__proto__" is an unknown resource', () => {
    const text = [
      'version: 1',
      'people: { alice: {}, bob: {} }',
      'issuers: { gate: { type: none } }',
      'resources: { deploy: { issuer: gate, approvers: [bob], maxDuration: 1h } }',
      'deploymentProtection: [{ environment: production, resource: __proto__ }]',
    ].join('\n');
    expect(problemsOf(loadText(text)).some((p) => p.message.includes('unknown resource "__proto__"'))).toBe(true);
  });
});
