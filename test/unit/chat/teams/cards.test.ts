import { describe, expect, it } from 'vitest';
import { approvalCard, MAX_REFRESH_USERS } from '../../../../src/chat/teams/cards/approval-card.js';
import { clip, escapeCardText } from '../../../../src/chat/teams/cards/card-text.js';
import { directMessageCard, extendFormCard } from '../../../../src/chat/teams/cards/message-cards.js';
import { requestFormCard } from '../../../../src/chat/teams/cards/request-form-card.js';
import { approveAction, denyAction, extendAction, releaseAction, type CardView } from '../../../../src/core/messages/views.js';
import type { ResourceChoice } from '../../../../src/core/services/handle-command.js';
import { actionVerbs, cardText, choiceValues, inputIds, refreshUserIds, type Json } from '../../../fakes/bot-framework-cards.js';

const view = (overrides: Partial<CardView> = {}): CardView => ({
  requestId: 'JIT-7',
  version: 1,
  title: 'JIT-7: alice requests deploy',
  tone: 'waiting',
  requester: 'alice',
  resource: 'deploy',
  resourceDescription: 'Deploy to production',
  duration: '1h',
  reason: 'fixing INC-7',
  approvals: '0 of 1',
  status: 'Waiting for 1 more approval.',
  actions: [approveAction('JIT-7'), denyAction('JIT-7')],
  eligibleApprovers: ['bob', 'carol'],
  ...overrides,
});

describe('escapeCardText', () => {
  it.each([
    ['**bold** and _it_', '\\*\\*bold\\*\\* and \\_it\\_'],
    ['[click](https://evil.example)', '\\[click\\](https://evil.example)'],
    ['# heading', '\\# heading'],
    ['- not a list', '\\- not a list'],
    ['+ nor this', '\\+ nor this'],
    ['1. nor this', '1\\. nor this'],
    ['> quote', '\\> quote'],
    ['`code` ~strike~ a|b', '\\`code\\` \\~strike\\~ a\\|b'],
    ['back\\slash', 'back\\\\slash'],
    ['<at>bob</at>', '\\<at\\>bob\\</at\\>'],
    ['plain words, 3-4 times (really).', 'plain words, 3-4 times (really).'],
  ])('%s', (input, expected) => expect(escapeCardText(input)).toBe(expected));

  it('breaks the DATE/TIME functions and turns line breaks into paragraphs', () => {
    expect(escapeCardText('{{DATE(2030-01-01T00:00:00Z, SHORT)}}')).toBe('{\u200B{DATE(2030-01-01T00:00:00Z, SHORT)}}');
    expect(escapeCardText('one\ntwo\n\n\nthree')).toBe('one\n\ntwo\n\n\n\nthree');
    expect(escapeCardText('one\r\ntwo')).toBe('one\n\ntwo');
  });

  it('bounds length by code points', () => {
    expect(clip('abcdef', 4)).toBe('abc…');
    expect(clip('😀😀😀', 2)).toBe('😀…');
    expect(escapeCardText('x'.repeat(5000), 100)).toHaveLength(100);
  });
});

describe('approval card', () => {
  it('base card: Adaptive Card 1.5, no buttons, approvers refresh into their own view', () => {
    const card = approvalCard(view(), { refreshUserIds: ['29:bob', '8:orgid:c'] });
    expect(card.version).toBe('1.5');
    expect(actionVerbs(card)).toEqual([]);
    expect(card.refresh?.action).toMatchObject({ type: 'Action.Execute', verb: 'refresh', data: { requestId: 'JIT-7', verb: 'refresh' } });
    expect(refreshUserIds(card)).toEqual(['29:bob', '8:orgid:c']);
    expect(cardText(card)).toContain('Approvers see Approve and Deny here');
    expect(cardText(card)).toContain('Resource: deploy: Deploy to production');
  });

  it('a decided card has no refresh and no buttons', () => {
    const card = approvalCard(view({ actions: [], title: 'JIT-7: denied', status: 'Denied by bob: no' }), { refreshUserIds: ['29:bob'] });
    expect(card.refresh).toBeUndefined();
    expect(card.actions).toBeUndefined();
    expect(cardText(card)).not.toContain('Approvers see');
  });

  it('refreshes at most 60 users', () => {
    const ids = Array.from({ length: 75 }, (_, i) => `29:u${i}`);
    expect(refreshUserIds(approvalCard(view(), { refreshUserIds: ids }))).toHaveLength(MAX_REFRESH_USERS);
  });

  it("a viewer's buttons are Action.Execute with an Action.Submit fallback carrying the same data", () => {
    const card = approvalCard(view(), { actions: [approveAction('JIT-7'), denyAction('JIT-7')] });
    const [approve, deny] = card.actions as Json[];
    expect(approve).toMatchObject({ type: 'Action.Execute', verb: 'approve', style: 'positive', data: { jitbot: 1, verb: 'approve', requestId: 'JIT-7' } });
    expect(approve!.fallback).toMatchObject({ type: 'Action.Submit', data: { verb: 'approve', requestId: 'JIT-7' } });
    expect(deny).toMatchObject({ verb: 'deny', style: 'destructive' });
  });

  it('the deny form asks for a reason and keeps what was typed', () => {
    const card = approvalCard(view(), { denyForm: { reason: 'half typed', error: 'Say why.' } });
    expect(inputIds(card)).toEqual(['reason']);
    expect(JSON.stringify(card.body)).toContain('"isRequired":true');
    expect(JSON.stringify(card.body)).toContain('"value":"half typed"');
    expect(actionVerbs(card)).toEqual(['denySubmit', 'refresh']);
    expect((card.actions as Json[])[0]).toMatchObject({ associatedInputs: 'auto' });
    expect(cardText(card)).toContain('Say why.');
  });

  it('escapes and bounds the reason', () => {
    const card = approvalCard(view({ reason: `[x](http://e) ${'y'.repeat(900)}` }));
    const reason = cardText(card)
      .split('\n')
      .find((l) => l.startsWith('Reason: '))!;
    expect(reason.startsWith('Reason: \\[x\\](http://e) ')).toBe(true);
    // At most 500 characters as the reader sees them (escapes are invisible).
    expect(reason.slice('Reason: '.length).replace(/\\(.)/g, '$1')).toHaveLength(500);
    expect(reason.endsWith('…')).toBe(true);
  });
});

describe('direct message card', () => {
  it('shows a secret verbatim (no Markdown) and offers the DM actions', () => {
    const card = directMessageCard({
      kind: 'active',
      requestId: 'JIT-7',
      title: 'JIT-7 approved and active',
      lines: ['Your access to deploy is active.'],
      actions: [releaseAction('JIT-7')],
      secret: { label: 'Token', value: 'ab_cd*ef[1]' },
    });
    expect(JSON.stringify(card.body)).toContain('{"type":"TextRun","text":"ab_cd*ef[1]","fontType":"Monospace"}');
    expect(actionVerbs(card)).toEqual(['release']);
  });

  it('the expiring-soon DM offers Extend (a form) and Release', () => {
    const card = directMessageCard({ kind: 'expiring', requestId: 'JIT-7', title: 'JIT-7 expires soon', lines: [], actions: [extendAction('JIT-7'), releaseAction('JIT-7')] });
    expect(actionVerbs(card)).toEqual(['extend', 'release']);
    const form = extendFormCard('JIT-7', { duration: '2h', error: 'too long' });
    expect(inputIds(form)).toEqual(['duration', 'reason']);
    expect(actionVerbs(form)).toEqual(['extendSubmit', 'refresh']);
    expect(cardText(form)).toContain('too long');
  });
});

describe('request form', () => {
  const choice = (name: string, overrides: Partial<ResourceChoice> = {}): ResourceChoice => ({
    name,
    description: `${name} things`,
    minMs: 60_000,
    defaultMs: 3_600_000,
    maxMs: 4 * 3_600_000,
    reason: 'required',
    ...overrides,
  });

  it('offers only the given choices, validates on the client, and prefills a single choice', () => {
    const single = requestFormCard([choice('deploy')]);
    expect(choiceValues(single, 'resource')).toEqual(['deploy']);
    expect(JSON.stringify(single.body)).toContain('"value":"1h"');
    expect(JSON.stringify(single.body)).toContain('"regex"');
    expect(actionVerbs(single)).toEqual(['requestSubmit']);
    expect(JSON.stringify(single.body)).toMatch(/"id":"reason"[^}]*"isRequired":true/);

    const mixed = requestFormCard([choice('deploy'), choice('logs', { reason: 'optional' })]);
    expect(choiceValues(mixed, 'resource')).toEqual(['deploy', 'logs']);
    expect(cardText(mixed)).toContain('Reason (required for deploy)');
    expect(JSON.stringify(mixed.body)).not.toMatch(/"id":"reason"[^}]*"isRequired":true/);
  });

  it('comes back with the error and the values typed', () => {
    const again = requestFormCard([choice('deploy'), choice('logs')], { resource: 'logs', duration: '9h', reason: 'r' }, '9h is out of range');
    expect(cardText(again)).toContain('9h is out of range');
    expect(JSON.stringify(again.body)).toContain('"value":"logs"');
    expect(JSON.stringify(again.body)).toContain('"value":"9h"');
  });
});
