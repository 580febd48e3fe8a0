import { describe, expect, it } from 'vitest';
import { completeLine, type CompletionContext } from '../../../../src/chat/console/tab-completion.js';

const context: CompletionContext = {
  people: () => ['alice', 'bob', 'carol'],
  resources: () => [
    { name: 'deploy', description: '', minMs: 10_000, defaultMs: 45_000, maxMs: 600_000, reason: 'optional' },
    { name: 'prod-gate', description: '', minMs: 10_000, defaultMs: 60_000, maxMs: 3_600_000, reason: 'required' },
  ],
  requestIds: () => ['JIT-12', 'JIT-3'],
  statuses: () => ['pending', 'active', 'expired'],
};

describe('tab completion', () => {
  it('completes commands, verbs and resources at the start of a line (one match gets a trailing space)', () => {
    expect(completeLine('/a', context)).toEqual([['/as '], '/a']);
    expect(completeLine('re', context)).toEqual([['request', 'resources', 'release', 'revoke'], 're']);
    expect(completeLine('dep', context)).toEqual([['deploy '], 'dep']);
  });

  it('completes people after /as, ids after verbs that take one, statuses after /wait <id>', () => {
    expect(completeLine('/as b', context)).toEqual([['bob '], 'b']);
    expect(completeLine('/jit approve JIT-1', context)).toEqual([['JIT-12 '], 'JIT-1']);
    expect(completeLine('approve ', context)).toEqual([['JIT-12', 'JIT-3'], '']);
    expect(completeLine('/wait JIT-3 ex', context)).toEqual([['expired '], 'ex']);
    expect(completeLine('/wait JIT-3 e', context)).toEqual([['expired', 'ended'], 'e']);
  });

  it('completes resources after request, then their default duration', () => {
    expect(completeLine('/jit request p', context)).toEqual([['prod-gate '], 'p']);
    expect(completeLine('request deploy ', context)).toEqual([['45s '], '']);
    expect(completeLine('prod-gate ', context)).toEqual([['1m '], '']);
    expect(completeLine('request deploy 45s some', context)).toEqual([[], 'some']);
  });
});
