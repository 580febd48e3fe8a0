import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatProblem, loadPolicy } from '../../../src/config/load-policy.js';
import { builtinIssuerFactories } from '../../../src/issuers/registry.js';
import { completePolicy, completePolicyPath, loadData, loadText, problemsOf, type PolicyData } from './policy-helpers.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'jitbot-policy-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('the complete example policy', () => {
  it('loads from its file with every field parsed', () => {
    const result = loadPolicy({ path: completePolicyPath }, { env: {}, issuerFactories: builtinIssuerFactories() });
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    const { policy } = result;
    expect(Object.keys(policy.people)).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(policy.groups.sre).toEqual(['bob', 'carol']);
    expect(policy.issuers.gate).toEqual({ type: 'none' });
    const prod = policy.resources['prod-deploy'];
    expect(prod?.maxDuration).toBe(4 * 3_600_000);
    expect(prod?.autoApprove).toEqual([{ requesters: ['group:sre'], maxDuration: 30 * 60_000 }]);
    expect(prod?.ticket).toBe('^[A-Z]+-[0-9]+$');
    expect(policy.settings.minDuration).toBe(60_000);
    expect(result.secrets).toEqual([]);
  });
});

interface BrokenCase {
  name: string;
  breakIt: (p: PolicyData) => void;
  path: string;
  message: string;
  /** How many problems the broken policy has in all (1 unless said). */
  count?: number;
}

const prod = (p: PolicyData): PolicyData => p.resources['prod-deploy'];

const broken: BrokenCase[] = [
  { name: 'version 2', breakIt: (p) => (p.version = 2), path: 'version', message: 'only "version: 1" policies exist' },
  { name: 'no version', breakIt: (p) => delete p.version, path: 'version', message: 'is required (1)' },
  { name: 'no resources', breakIt: (p) => delete p.resources, path: 'resources', message: 'is required (a map of keys to values)' },
  { name: 'people left empty', breakIt: (p) => (p.people = null), path: 'people', message: 'expected a map of keys to values, got nothing' },
  { name: 'a misspelt top-level key', breakIt: (p) => ((p.resource = {}), void 0), path: 'resource', message: 'unknown field "resource" (did you mean "resources"?)' },
  { name: 'a person name with capitals', breakIt: (p) => (p.people.Erin = {}), path: 'people.Erin', message: 'not a valid name: use lowercase letters' },
  { name: 'a bad Slack id', breakIt: (p) => (p.people.bob.slack = 'bob'), path: 'people.bob.slack', message: 'a Slack user id looks like U0123ABCD' },
  { name: 'a bad email', breakIt: (p) => (p.people.bob.email = 'bob-at-example'), path: 'people.bob.email', message: 'email' },
  { name: 'an unknown person field', breakIt: (p) => (p.people.bob.phone = '555'), path: 'people.bob.phone', message: 'unknown field "phone" (expected one of: slack, teams, email, github)' },
  { name: 'an unknown person in a group', breakIt: (p) => p.groups.sre.push('zed'), path: 'groups.sre[2]', message: 'unknown person "zed"' },
  { name: 'a group inside a group', breakIt: (p) => p.groups.sre.push('group:engineers'), path: 'groups.sre[2]', message: 'a group lists people, not groups ("group:engineers")' },
  { name: 'an unknown admin group', breakIt: (p) => (p.admins = ['group:admins']), path: 'admins[0]', message: 'unknown group "admins"' },
  { name: 'an unknown approver group, close to a real one', breakIt: (p) => (prod(p).approvers = ['group:sres']), path: 'resources.prod-deploy.approvers[0]', message: 'unknown group "sres" (did you mean "group:sre"?)' },
  { name: 'a group named as a person', breakIt: (p) => (prod(p).approvers = ['sre']), path: 'resources.prod-deploy.approvers[0]', message: 'unknown person "sre" (there is a group "sre": write group:sre)' },
  { name: 'a misspelt requester', breakIt: (p) => (prod(p).requesters = ['carl']), path: 'resources.prod-deploy.requesters[0]', message: 'unknown person "carl" (did you mean "carol"?)' },
  { name: 'an unknown auto-approve requester', breakIt: (p) => (prod(p).autoApprove[0].requesters = ['group:oncall']), path: 'resources.prod-deploy.autoApprove[0].requesters[0]', message: 'unknown group "oncall"' },
  { name: 'an empty auto-approve rule', breakIt: (p) => (prod(p).autoApprove[0].requesters = []), path: 'resources.prod-deploy.autoApprove[0].requesters', message: 'must list at least 1 entry' },
  { name: 'an approver that is a number', breakIt: (p) => (prod(p).approvers = ['group:sre', 7]), path: 'resources.prod-deploy.approvers[1]', message: 'expected a string, got a whole number' },
  { name: 'an unknown issuer', breakIt: (p) => (prod(p).issuer = 'github'), path: 'resources.prod-deploy.issuer', message: 'unknown issuer "github" (issuers: gate, change-gate)' },
  { name: 'an issuer type that does not exist', breakIt: (p) => (p.issuers.gate.type = 'vault'), path: 'issuers.gate.type', message: 'unknown issuer type "vault" (known types: hook, none)' },
  { name: 'settings the none issuer does not take', breakIt: (p) => (p.issuers.gate.url = 'https://x.test'), path: 'issuers.gate.url', message: 'unknown field "url" (issuer type none takes no settings)' },
  { name: 'params the none issuer does not take', breakIt: (p) => (prod(p).params = { repo: 'acme/app' }), path: 'resources.prod-deploy.params.repo', message: 'unknown field "repo" (issuer type none takes no params)' },
  {
    name: 'issuer settings of the wrong kind',
    breakIt: (p) => (p.issuers.hook = { type: 'hook', url: 'not a url', secret: 'short', timeout: 1.5 }),
    path: 'issuers.hook.url',
    message: 'Invalid URL',
    count: 3,
  },
  {
    name: 'a missing param',
    breakIt: (p) => {
      p.issuers.hook = { type: 'hook', url: 'https://hooks.example.com', secret: 'a-secret-of-sixteen+' };
      prod(p).issuer = 'hook';
    },
    path: 'resources.prod-deploy.params.path',
    message: 'is required (a string)',
  },
  { name: 'more approvals than approvers', breakIt: (p) => (prod(p).approvals = 3), path: 'resources.prod-deploy.approvals', message: 'needs 3 distinct approvers but approvers names only 2 (bob, carol)' },
  {
    name: 'a quorum a requester-approver cannot meet',
    breakIt: (p) => (prod(p).approvals = 2),
    path: 'resources.prod-deploy.approvals',
    message: 'needs 2 distinct approvers but when bob requests only 1 other approver remains (carol)',
  },
  {
    name: 'no approvers at all',
    breakIt: (p) => (p.resources['audit-read'].approvers = []),
    path: 'resources.audit-read.approvals',
    message: 'needs 1 distinct approver (approvals defaults to 1) but approvers names no one',
  },
  { name: 'a fractional approval count', breakIt: (p) => (prod(p).approvals = 1.5), path: 'resources.prod-deploy.approvals', message: 'expected a whole number, got a number' },
  { name: 'too many approvals', breakIt: (p) => (prod(p).approvals = 21), path: 'resources.prod-deploy.approvals', message: 'must be at most 20' },
  { name: 'no maxDuration', breakIt: (p) => delete prod(p).maxDuration, path: 'resources.prod-deploy.maxDuration', message: 'is required (a duration such as 30m or 1h30m)' },
  { name: 'a maxDuration in words', breakIt: (p) => (prod(p).maxDuration = '4 hours'), path: 'resources.prod-deploy.maxDuration', message: '"4 hours" is not a duration' },
  { name: 'a maxDuration without a unit', breakIt: (p) => (prod(p).maxDuration = 60), path: 'resources.prod-deploy.maxDuration', message: 'expected a duration such as 30m or 1h30m, got a whole number' },
  { name: 'a default above the maximum', breakIt: (p) => (prod(p).defaultDuration = '5h'), path: 'resources.prod-deploy.defaultDuration', message: '5h is longer than maxDuration (4h)' },
  {
    name: 'a default below the resource minimum',
    breakIt: (p) => (p.resources['prod-db-write'].defaultDuration = '2m'),
    path: 'resources.prod-db-write.defaultDuration',
    message: '2m is shorter than the minimum duration 5m (minDuration of this resource)',
  },
  {
    name: 'a maximum below the global minimum',
    breakIt: (p) => (p.resources['staging-deploy'].maxDuration = '30s'),
    path: 'resources.staging-deploy.maxDuration',
    message: '30s is shorter than the minimum duration 1m (settings.minDuration)',
  },
  {
    name: 'an auto-approve rule shorter than the minimum',
    breakIt: (p) => (prod(p).autoApprove[0].maxDuration = '30s'),
    path: 'resources.prod-deploy.autoApprove[0].maxDuration',
    message: 'this rule can never apply: 30s is shorter than the minimum duration 1m',
  },
  { name: 'a global minimum below 10s', breakIt: (p) => (p.settings.minDuration = '5s'), path: 'settings.minDuration', message: '5s is below the lowest allowed minimum, 10s' },
  { name: 'a zero reminder', breakIt: (p) => (p.settings.reminderBefore = '0s'), path: 'settings.reminderBefore', message: '"0s" is zero' },
  { name: 'an unknown setting', breakIt: (p) => (p.settings.approvalTimout = '1h'), path: 'settings.approvalTimout', message: 'did you mean "approvalTimeout"?' },
  { name: 'a Slack id given twice', breakIt: (p) => (p.people.dave.slack = 'U0ALICE'), path: 'people.dave.slack', message: "Slack id U0ALICE is also alice's" },
  {
    name: 'a Teams id given twice, in other case',
    breakIt: (p) => (p.people.dave.teams = p.people.bob.teams.toUpperCase()),
    path: 'people.dave.teams',
    message: "is also bob's; each must belong to one person",
  },
  { name: 'an unknown reason rule', breakIt: (p) => (prod(p).reason = 'maybe'), path: 'resources.prod-deploy.reason', message: 'must be "required" or "optional"' },
  { name: 'a broken ticket pattern', breakIt: (p) => (prod(p).ticket = '^([A-Z]+'), path: 'resources.prod-deploy.ticket', message: 'not a valid regular expression' },
  { name: 'a misspelt resource field', breakIt: (p) => (prod(p).aprovers = ['bob']), path: 'resources.prod-deploy.aprovers', message: 'unknown field "aprovers" (did you mean "approvers"?)' },
  { name: 'an unknown channel platform', breakIt: (p) => (prod(p).channel.discord = '123'), path: 'resources.prod-deploy.channel.discord', message: 'unknown field "discord" (expected one of: slack, teams)' },
  { name: 'a resource name with a space', breakIt: (p) => (p.resources['Prod Deploy'] = prod(p)), path: 'resources["Prod Deploy"]', message: 'not a valid name' },
  { name: 'a negative extension count', breakIt: (p) => (p.resources['prod-db-write'].extensions.max = -1), path: 'resources.prod-db-write.extensions.max', message: 'must be at least 0' },
];

describe('a broken policy names the place and the problem', () => {
  it('has at least 25 cases', () => expect(broken.length).toBeGreaterThanOrEqual(25));

  it.each(broken)('$name → $path', ({ breakIt, path: expectedPath, message, count = 1 }) => {
    const data = completePolicy();
    breakIt(data);
    const problems = problemsOf(loadData(data));
    const match = problems.find((p) => p.path === expectedPath);
    expect(match, `no problem at ${expectedPath}; got:\n${problems.map(formatProblem).join('\n')}`).toBeDefined();
    expect(match?.message).toContain(message);
    expect(problems.map(formatProblem)).toHaveLength(count);
  });

  it('lists every problem at once, in file order', () => {
    const data = completePolicy();
    data.version = 3;
    data.groups.sre.push('zed');
    prod(data).approvers = ['group:sres'];
    prod(data).defaultDuration = '9h';
    data.resources['audit-read'].issuer = 'nope';
    const problems = problemsOf(loadData(data));
    expect(problems.map((p) => p.path)).toEqual([
      'version',
      'groups.sre[2]',
      'resources.prod-deploy.approvers[0]',
      'resources.prod-deploy.defaultDuration',
      'resources.audit-read.issuer',
    ]);
    const lines = problems.map((p) => p.line ?? 0);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  });

  it('does not blame the quorum on a misspelt approver group', () => {
    const data = completePolicy();
    prod(data).approvers = ['group:sres'];
    prod(data).approvals = 2;
    expect(problemsOf(loadData(data)).map((p) => p.path)).toEqual(['resources.prod-deploy.approvers[0]']);
  });

  it('does not count a requester whom a rule always auto-approves', () => {
    const data = completePolicy();
    // bob and carol (sre) are the only approvers and approve each other; with two approvals needed
    // that only works if no approver ever needs a human.
    prod(data).approvals = 2;
    prod(data).requesters = ['group:sre', 'dave'];
    prod(data).autoApprove = [{ requesters: ['group:sre'] }];
    expect(loadData(data).ok).toBe(true);
    prod(data).autoApprove = [{ requesters: ['group:sre'], maxDuration: '1h' }];
    expect(problemsOf(loadData(data))[0]?.message).toBe('needs 2 distinct approvers but when bob requests only 1 other approver remains (carol)');
  });

  it('allows approvals: 0, a resource without a channel, and nobody named as requester', () => {
    const data = completePolicy();
    prod(data).approvals = 0;
    prod(data).approvers = [];
    delete prod(data).channel;
    data.resources['audit-read'].requesters = [];
    const result = loadData(data);
    expect(result.ok).toBe(true);
  });
});

describe('places in the file', () => {
  const text = [
    'version: 1', //                               1
    'people:', //                                  2
    '  alice: {}', //                              3
    '  bob: { slack: U0BOB, fax: "1" }', //       4
    'groups:', //                                  5
    '  ops: [alice]', //                           6
    'issuers:', //                                 7
    '  gate: { type: none }', //                   8
    'resources:', //                               9
    '  r:', //                                     10
    '    issuer: gate', //                         11
    '    approvers: [group:sre, bob]', //          12
    '    reason:', //                              13
    '  s:', //                                     14
    '    issuer: gaet', //                         15
    '    approvers:', //                           16
    '      - alice', //                            17
    '      - carol', //                            18
    '    maxDuration: 2h', //                      19
  ].join('\n');

  const problems = problemsOf(loadText(text));
  const at = (p: string) => problems.find((problem) => problem.path === p);

  it('points at the list item that names an unknown group', () => {
    expect(at('resources.r.approvers[0]')).toEqual({ path: 'resources.r.approvers[0]', message: 'unknown group "sre"', line: 12, column: 17 });
    expect(formatProblem(at('resources.r.approvers[0]')!)).toBe('resources.r.approvers[0]: unknown group "sre" (line 12, column 17)');
  });

  it('points at a block list item and at a misspelt issuer', () => {
    expect(at('resources.s.approvers[1]')).toMatchObject({ message: 'unknown person "carol"', line: 18, column: 9 });
    expect(at('resources.s.issuer')).toMatchObject({ message: 'unknown issuer "gaet" (did you mean "gate"? issuers: gate)', line: 15, column: 13 });
  });

  it('points at the key of an unknown field and of an empty value', () => {
    expect(at('people.bob.fax')).toMatchObject({ message: 'unknown field "fax" (expected one of: slack, teams, email, github)', line: 4, column: 24 });
    expect(at('resources.r.reason')).toMatchObject({ message: 'must be "required" or "optional"', line: 13, column: 5 });
  });

  it('points a missing field at the entry that lacks it', () => {
    expect(at('resources.r.maxDuration')).toMatchObject({ message: 'is required (a duration such as 30m or 1h30m)', line: 10, column: 3 });
  });

  it('gives the place of YAML syntax errors', () => {
    const unclosed = problemsOf(loadText('version: 1\npeople:\n  alice: { slack: U0ALICE\nresources: {}\n'));
    expect(unclosed[0]).toMatchObject({ path: '', line: 4, column: 1 });
    expect(unclosed[0]?.message).toContain('YAML syntax: Flow map in block collection must be sufficiently indented and end with a }');
    expect(unclosed[0]?.message).not.toContain('\n');

    const duplicate = problemsOf(loadText('version: 1\npeople: {}\npeople: {}\n'));
    expect(duplicate).toEqual([{ path: '', message: 'YAML syntax: Map keys must be unique', line: 3, column: 1 }]);

    const tabs = problemsOf(loadText('version: 1\npeople:\n\talice: {}\n'));
    expect(tabs[0]).toMatchObject({ message: 'YAML syntax: Tabs are not allowed as indentation', line: 3, column: 1 });
    expect(formatProblem(tabs[0]!)).toBe('YAML syntax: Tabs are not allowed as indentation (line 3, column 1)');
  });

  it('explains an unquoted ${VAR} inside a flow map, and stops after a screenful of follow-on errors', () => {
    const lines = ['version: 1', 'issuers:', '  gh: { type: none, token: ${TOKEN} }', ...Array.from({ length: 20 }, (_, i) => `  x${i}: { a: 1 }`)];
    const problems = problemsOf(loadText(lines.join('\n'), { TOKEN: 'abc' }));
    expect(problems[0]?.line).toBe(3);
    expect(problems[0]?.message).toContain("quote a value that uses ${…}: '${VAR}'");
    expect(problems.length).toBeLessThanOrEqual(11);
    expect(problems.at(-1)?.message).toMatch(/^YAML syntax: \d+ more lines? with errors/);
  });
});

describe('whole-file problems', () => {
  it('names a missing file', () => {
    const missing = path.join(tmp, 'nope.yaml');
    const result = loadPolicy({ path: missing }, { issuerFactories: builtinIssuerFactories() });
    expect(problemsOf(result)).toEqual([{ path: '', message: `policy file ${missing} does not exist` }]);
  });

  it('names a directory given as the file', () => {
    const result = loadPolicy({ path: tmp }, { issuerFactories: builtinIssuerFactories() });
    expect(problemsOf(result)[0]?.message).toBe(`policy file ${tmp} is a directory`);
  });

  it('rejects an empty file and a file that is not a map', () => {
    expect(problemsOf(loadText('# nothing here\n'))).toEqual([{ path: '', message: 'test.yaml is empty; a policy starts with "version: 1"' }]);
    expect(problemsOf(loadText('- a\n- b\n'))[0]).toMatchObject({ path: '', message: 'expected a map of keys to values, got a list', line: 1, column: 1 });
  });

  it('reads a file on disk', () => {
    const file = path.join(tmp, 'tiny.yaml');
    writeFileSync(file, 'version: 1\npeople: { alice: {} }\nissuers: { gate: { type: none } }\nresources:\n  r: { issuer: gate, approvals: 0, maxDuration: 1h }\n');
    const result = loadPolicy({ path: file }, { env: {}, issuerFactories: builtinIssuerFactories() });
    expect(result.ok && result.policy.resources.r?.maxDuration).toBe(3_600_000);
  });
});

describe('YAML conveniences', () => {
  it('supports anchors and merge keys for shared resource settings', () => {
    const text = [
      'version: 1',
      'people: { alice: {}, bob: {} }',
      'issuers: { gate: { type: none } }',
      'resources:',
      '  a: &defaults',
      '    issuer: gate',
      '    approvers: [alice, bob]',
      '    maxDuration: 2h',
      '  b:',
      '    <<: *defaults',
      '    description: like a, but shorter',
      '    maxDuration: 1h',
    ].join('\n');
    const result = loadText(text);
    if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
    expect(result.policy.resources.b).toMatchObject({ issuer: 'gate', approvers: ['alice', 'bob'], maxDuration: 3_600_000 });
  });
});
