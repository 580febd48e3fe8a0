import { describe, expect, it } from 'vitest';
import { completeLine, type CompletionContext } from '../../../../src/chat/console/tab-completion.js';

const context: CompletionContext = {
  people: () => ['alice', 'bob', 'carol'],
  resources: () => [
    { name: 'deploy', description: '', minMs: 10_000, defaultMs: 45_000, maxMs: 600_000, reason: 'optional' },
    { name: 'prod-gate', description: '', minMs: 10_000, defaultMs: 60_000, maxMs: 3_600_000, reason: 'required' },
  ],
  // What the core answers per verb (test/unit/chat/console/console-adapter.test.ts checks the real answers).
  requestIds: (verb) => (verb === 'cancel' ? ['JIT-3'] : verb === 'revoke' ? [] : ['JIT-12', 'JIT-3']),
  statuses: () => ['pending', 'active', 'expired'],
};

describe('tab completion', async () => {
  it('completes commands, verbs and resources at the start of a line (one match gets a trailing space)', async () => {
    expect(await completeLine('/a', context)).toEqual([['/as '], '/a']);
    expect(await completeLine('re', context)).toEqual([['request', 'resources', 'release', 'revoke'], 're']);
    expect(await completeLine('dep', context)).toEqual([['deploy '], 'dep']);
  });

  it('completes people after /as, ids after verbs that take one, statuses after /wait <id>', async () => {
    expect(await completeLine('/as b', context)).toEqual([['bob '], 'b']);
    expect(await completeLine('/jit approve JIT-1', context)).toEqual([['JIT-12 '], 'JIT-1']);
    expect(await completeLine('approve ', context)).toEqual([['JIT-12', 'JIT-3'], '']);
    expect(await completeLine('/wait JIT-3 ex', context)).toEqual([['expired '], 'ex']);
    expect(await completeLine('/wait JIT-3 e', context)).toEqual([['expired', 'ended'], 'e']);
  });

  it('completes resources after request, then their default duration', async () => {
    expect(await completeLine('/jit request p', context)).toEqual([['prod-gate '], 'p']);
    expect(await completeLine('request deploy ', context)).toEqual([['45s '], '']);
    expect(await completeLine('prod-gate ', context)).toEqual([['1m '], '']);
    expect(await completeLine('request deploy 45s some', context)).toEqual([[], 'some']);
  });

  it('asks for the ids of the verb being typed', async () => {
    const asked: string[] = [];
    const spy: CompletionContext = { ...context, requestIds: (verb) => (asked.push(verb), []) };
    await completeLine('cancel ', spy);
    await completeLine('/jit revoke J', spy);
    await completeLine('/wait ', spy);
    expect(asked).toEqual(['cancel', 'revoke', 'wait']);
    expect(await completeLine('cancel ', context)).toEqual([['JIT-3 '], '']);
    expect(await completeLine('revoke ', context)).toEqual([[], '']);
  });
});
