import { describe, expect, it } from 'vitest';
import { parseActionData, parseExecute } from '../../../../src/chat/teams/handle-card-action.js';
import { commandText, InboundActivitySchema, scopeOf, tenantOf, type InboundActivity } from '../../../../src/chat/teams/inbound-activity.js';

const activity = (overrides: Record<string, unknown> = {}): InboundActivity =>
  InboundActivitySchema.parse({
    type: 'message',
    id: '1',
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    from: { id: '29:alice', aadObjectId: 'aad-alice' },
    recipient: { id: '28:bot' },
    conversation: { id: 'a:1', conversationType: 'personal', tenantId: 'conv-tenant' },
    ...overrides,
  });

describe('inbound activities', () => {
  it('strips the bot mention (by entity), markup and entities from a command', () => {
    const a = activity({
      text: '<at>jit bot</at> request deploy 1h fixing&nbsp;INC-7 &amp; more',
      entities: [{ type: 'mention', text: '<at>jit bot</at>', mentioned: { id: '28:bot', name: 'jit bot' } }],
      conversation: { id: '19:c@thread.tacv2', conversationType: 'channel' },
    });
    expect(commandText(a)).toBe('request deploy 1h fixing INC-7 & more');
    expect(commandText(activity({ text: '<p>list</p>' }))).toBe('list');
    expect(commandText(activity({ text: '  /jit   help ' }))).toBe('/jit help');
    expect(commandText(activity({}))).toBe('');
  });

  it('reads the tenant from channelData first, then the conversation', () => {
    expect(tenantOf(activity({ channelData: { tenant: { id: 'data-tenant' } } }))).toBe('data-tenant');
    expect(tenantOf(activity())).toBe('conv-tenant');
    expect(tenantOf(activity({ conversation: { id: 'a:1' } }))).toBeUndefined();
  });

  it('knows personal chats from channels and group chats', () => {
    expect(scopeOf(activity())).toBe('personal');
    expect(scopeOf(activity({ conversation: { id: '19:x', conversationType: 'channel' } }))).toBe('channel');
    expect(scopeOf(activity({ conversation: { id: '19:x', conversationType: 'groupChat', isGroup: true } }))).toBe('groupChat');
    expect(scopeOf(activity({ conversation: { id: '19:x' }, channelData: { channel: { id: '19:x' } } }))).toBe('channel');
  });

  it('refuses activities without what jitbot needs, and oversized fields', () => {
    expect(InboundActivitySchema.safeParse({ type: 'message', channelId: 'msteams', from: { id: 'x' }, recipient: { id: 'y' }, conversation: { id: 'z' } }).success).toBe(false);
    expect(() => activity({ serviceUrl: 'not a url' })).toThrow();
    expect(() => activity({ text: 'x'.repeat(20_001) })).toThrow();
  });

  it('parses card actions: Action.Execute invokes and the Action.Submit fallback', () => {
    expect(parseExecute({ action: { type: 'Action.Execute', verb: 'approve', data: { requestId: 'JIT-3', verb: 'approve' } }, trigger: 'manual' })).toEqual({
      verb: 'approve',
      requestId: 'JIT-3',
    });
    expect(parseExecute({ action: { type: 'Action.Execute', verb: 'denySubmit', data: { requestId: 'JIT-3', reason: 'no' } } })).toMatchObject({ verb: 'denySubmit', reason: 'no' });
    expect(parseExecute({ action: { verb: 'launchMissiles' } })).toBeUndefined();
    expect(parseExecute({ action: { verb: 'approve', data: { requestId: 'x'.repeat(41) } } })).toBeUndefined();
    expect(parseExecute('nonsense')).toBeUndefined();
    expect(parseActionData({ jitbot: 1, verb: 'release', requestId: 'JIT-9' })).toMatchObject({ verb: 'release', requestId: 'JIT-9' });
    expect(parseActionData({ something: 'else' })).toBeUndefined();
  });
});
