import { describe, expect, it } from 'vitest';
import { parseCommand, USAGE, type CommandContext } from '../../../../src/core/services/parse-command.js';

// As handleCommand builds it from a policy: resource names, and each one's default duration for examples.
const DEFAULTS: Record<string, string> = { 'prod-deploy': '12s', deploy: '30m', lest: '1m' };
const context: CommandContext = { resources: Object.keys(DEFAULTS), exampleDuration: (name) => DEFAULTS[name] };

describe('the /jit grammar', () => {
  it.each([
    ['', { name: 'form' }],
    ['/jit', { name: 'form' }],
    ['help', { name: 'help' }],
    ['request', { name: 'form' }],
    ['list', { name: 'list' }],
    ['resources', { name: 'resources' }],
    ['request prod-deploy 1h fixing INC-7', { name: 'request', resource: 'prod-deploy', duration: '1h', reason: 'fixing INC-7' }],
    ['prod-deploy 1h fixing INC-7', { name: 'request', resource: 'prod-deploy', duration: '1h', reason: 'fixing INC-7' }],
    ['/jit request prod-deploy 30m', { name: 'request', resource: 'prod-deploy', duration: '30m', reason: '' }],
    ['jit request prod-deploy 30m  two  spaces', { name: 'request', resource: 'prod-deploy', duration: '30m', reason: 'two spaces' }],
    ['approve JIT-42', { name: 'approve', id: 'JIT-42' }],
    ['approve jit-42', { name: 'approve', id: 'JIT-42' }],
    ['APPROVE 42', { name: 'approve', id: 'JIT-42' }],
    ['deny JIT-3 not now', { name: 'deny', id: 'JIT-3', reason: 'not now' }],
    ['cancel JIT-3', { name: 'cancel', id: 'JIT-3' }],
    ['release JIT-3', { name: 'release', id: 'JIT-3' }],
    ['extend JIT-3 30m still fixing', { name: 'extend', id: 'JIT-3', duration: '30m', reason: 'still fixing' }],
    ['revoke JIT-3 left the team', { name: 'revoke', id: 'JIT-3', reason: 'left the team' }],
    ['audit JIT-3', { name: 'audit', id: 'JIT-3' }],
  ])('%j', (text, expected) => expect(parseCommand(text)).toEqual(expected));

  it.each([
    ['approve', /Say which request/],
    ['approve JIT-x', /not a request id/],
    ['deny', /Say which request/],
    ['extend JIT-3', /how much longer/],
    ['request prod-deploy', /Say for how long/],
    ['prod-deploy', /Say for how long/],
    ['x'.repeat(5000), /too long/],
  ])('%j is refused with a hint', (text, message) => expect(() => parseCommand(text)).toThrow(message));

  it.each([
    ['deny JIT-3'],
    ['deny JIT-3   '],
    ['/jit deny 3'],
  ])('%j: deny needs a reason, and says so', (text) => {
    expect(() => parseCommand(text)).toThrow('A reason is required to deny, so the requester knows why: /jit deny JIT-3 <reason>. Nothing was changed.');
  });

  it('help says deny takes a reason, as the grammar does', () => {
    const deny = USAGE.find((line) => line.includes('/jit deny'));
    expect(deny).toContain('/jit deny <id> <reason…>');
    expect(deny).not.toContain('[reason');
  });

  it.each([
    ['aprove JIT-2', 'There is no command "aprove". Did you mean approve? /jit approve JIT-2'],
    ['Aprove 2', 'There is no command "Aprove". Did you mean approve? /jit approve 2'],
    ['lsit', 'There is no command "lsit". Did you mean list? /jit list'],
    ['relase JIT-3', 'There is no command "relase". Did you mean release? /jit release JIT-3'],
    ['dney JIT-3 not now', 'There is no command "dney". Did you mean deny? /jit deny JIT-3 not now'],
    ['reqest deploy 1h why', 'There is no command "reqest". Did you mean request? /jit request deploy 1h why'],
    ['frobnicate JIT-3', 'There is no command "frobnicate". /jit help lists the commands.'],
  ])('%j is a mistyped verb', (text, message) => expect(() => parseCommand(text, context)).toThrow(message));

  it('a word close to a resource, followed by a duration (or nothing), is left to the request, which names the resource', () => {
    // The policy check (resourceForRequest) answers "There is no resource … Did you mean prod-deploy?".
    expect(parseCommand('prod-deplyo 1h fixing', context)).toEqual({ name: 'request', resource: 'prod-deplyo', duration: '1h', reason: 'fixing' });
    expect(parseCommand('prod-deplyo', context)).toEqual({ name: 'request', resource: 'prod-deplyo', duration: '', reason: '' });
    // A duration after it rules out list/help/resources and the verbs that take an id: "lst 1h" means the resource lest.
    expect(parseCommand('lst 1h', context)).toEqual({ name: 'request', resource: 'lst', duration: '1h', reason: '' });
  });

  it('a word as close to a verb as to a resource, with nothing to tell them apart, names both', () => {
    expect(() => parseCommand('lst', context)).toThrow('There is no command or resource "lst". Did you mean list (/jit list), or the resource lest (/jit request lest 1m …)?');
  });

  it('a word closer to a resource than to a verb is the resource; a real resource is never a typo', () => {
    // "deplyo" is 1 swap from deploy, far from every verb.
    expect(parseCommand('deplyo', context)).toMatchObject({ name: 'request', resource: 'deplyo' });
    expect(parseCommand('lest 1m', context)).toEqual({ name: 'request', resource: 'lest', duration: '1m', reason: '' });
    expect(parseCommand('deploy 5m', context)).toEqual({ name: 'request', resource: 'deploy', duration: '5m', reason: '' });
  });

  it('examples use a duration the resource may be requested for (its default), not a fixed 1h', () => {
    expect(() => parseCommand('prod-deploy', context)).toThrow('Say for how long: /jit prod-deploy <duration> <reason>, e.g. /jit prod-deploy 12s fixing INC-7.');
    expect(() => parseCommand('request deploy', context)).toThrow('e.g. /jit request deploy 30m fixing INC-7.');
  });
});
