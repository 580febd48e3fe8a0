import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../../src/core/services/parse-command.js';

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
});
