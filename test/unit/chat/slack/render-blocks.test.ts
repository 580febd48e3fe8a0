import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../../../src/chat/slack/blocks/block-kit.js';
import { SecretTooLargeError, renderCard, renderDirectMessage, renderNotice } from '../../../../src/chat/slack/blocks/render-messages.js';
import { renderDenyForm, renderExtendForm, renderHome, renderRequestForm, decodeContext, encodeContext } from '../../../../src/chat/slack/blocks/render-views.js';
import type { AccessRequest } from '../../../../src/core/domain/access-request.js';
import { buildDirectMessage, revokeFailedNotice } from '../../../../src/core/messages/direct-messages.js';
import { buildCard } from '../../../../src/core/messages/views.js';
import type { ResourceChoice } from '../../../../src/core/services/handle-command.js';
import { checkBlocks, checkView, type Json } from '../../../fakes/fake-slack.js';

const PIECES = [
  '<!channel>', '<!here|here>', '<!subteam^S0ADMINS>', '<@U0BOB>', '<#C0SECRET>', '<https://evil.example|click me>', '<mailto:x@y.z|mail>',
  '*bold*', '_it_', '~strike~', '`code`', '```block```', '\n> quote\n', '&amp;', '&', '&lt;', '\u0000', '\u0007', '\u001b[31m', '\u007f',
  '\u0085', '\u202E', '\u2066', '\uFEFF', '\u200B', 'é', 'e\u0301', '👩‍👩‍👧‍👦', '𝕏', '中文', 'עברית', '\r\n', '\t', ':smile:', '@channel', '@here',
];

/** A 3,000-character reason full of unicode, control characters and mrkdwn / mention injection. */
function hostile(length = 3000): string {
  let text = '';
  for (let i = 0; text.length < length; i++) text += PIECES[i % PIECES.length];
  return text.slice(0, length);
}

function walk(value: unknown, visit: (node: Json) => void): void {
  if (Array.isArray(value)) value.forEach((v) => walk(v, visit));
  else if (value && typeof value === 'object') {
    visit(value as Json);
    Object.values(value).forEach((v) => walk(v, visit));
  }
}

/** Asserts every documented limit and that no user text can ping, link or hide. */
function expectSafe(blocks: unknown[], maxBlocks: number, allowedMentions: string[] = []): void {
  expect(blocks.length).toBeLessThanOrEqual(maxBlocks);
  expect(checkBlocks(blocks, maxBlocks)).toBeUndefined();
  walk(blocks, (node) => {
    if (node.type === 'plain_text' || node.type === 'mrkdwn') {
      const text = String(node.text);
      expect(text.length).toBeGreaterThan(0);
      expect(text.length).toBeLessThanOrEqual(LIMITS.sectionText);
      // eslint-disable-next-line no-control-regex
      expect(text).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]/);
      const angles = text.match(/<[^>]*>?/g) ?? [];
      for (const angle of angles) expect(allowedMentions.map((id) => `<@${id}>`)).toContain(angle);
      if (node.type === 'mrkdwn') expect(node.verbatim).toBe(true);
    }
    if (node.type === 'header') expect(node.text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
    if (node.type === 'button') {
      expect(node.text.text.length).toBeLessThanOrEqual(LIMITS.buttonText);
      expect(String(node.value).length).toBeLessThanOrEqual(LIMITS.buttonValue);
      expect(String(node.action_id).length).toBeLessThanOrEqual(LIMITS.actionId);
    }
  });
  const json = JSON.stringify(blocks);
  for (const raw of ['<!channel>', '<!here', '<!subteam', '<@U0BOB>', '<#C0SECRET>', '<https://', '<mailto:']) expect(json).not.toContain(raw);
}

const base = {
  id: 'JIT-42',
  resource: 'prod-deploy',
  requester: 'alice',
  durationMs: 3_600_000,
  createdAt: Date.UTC(2026, 0, 1),
  version: 3,
  approvalsRequired: 2,
  approvals: [{ person: 'bob', at: Date.UTC(2026, 0, 1), via: 'slack' }],
  via: 'slack',
};

const pending = (reason: string): AccessRequest => ({ ...base, reason, status: 'pending', timeoutAt: Date.UTC(2026, 0, 1, 1) });
const slackIdOf = (person: string): string | undefined => ({ alice: 'U0ALICE', bob: 'U0BOB' })[person];

describe('Block Kit rendering stays within Slack’s limits and escapes user text', () => {
  it('a card with a 3,000-character hostile reason and a hostile description', () => {
    const card = buildCard(pending(hostile()), `Production ${hostile(1500)}`, ['bob', 'carol']);
    const message = renderCard(card, slackIdOf);
    expectSafe(message.blocks, LIMITS.messageBlocks, ['U0ALICE']);
    expect(message.text.length).toBeLessThanOrEqual(LIMITS.fallbackText);
    expect(JSON.stringify(message.blocks)).toContain('&lt;!channel&gt;');
    expect(JSON.stringify(message.blocks)).toContain('… (truncated)');
    expect(JSON.stringify(message.blocks)).toContain('<@U0ALICE>');
    const buttons = message.blocks.flatMap((b: Json) => (b.type === 'actions' ? b.elements : []));
    expect(buttons.map((b: Json) => [b.action_id, b.value, b.text.text, b.style])).toEqual([
      ['jit_approve', 'JIT-42', 'Approve', 'primary'],
      ['jit_deny', 'JIT-42', 'Deny', 'danger'],
    ]);
    // The reason is plain_text: Slack never formats it, whatever it contains.
    const reasonBlock = message.blocks.find((b: Json) => b.type === 'section' && b.text.type === 'plain_text' && b.text.text.includes('&lt;!channel&gt;')) as Json;
    expect(reasonBlock).toBeDefined();
  });

  it('a denied card (hostile deny reason in the status) and a failing revocation keep their limits and lose their buttons', () => {
    const denied: AccessRequest = { ...base, reason: 'ok', status: 'denied', decidedAt: 1, deniedBy: 'bob', denyReason: hostile() };
    const card = renderCard(buildCard(denied, 'd', ['bob']), slackIdOf);
    expectSafe(card.blocks, LIMITS.messageBlocks, ['U0ALICE']);
    expect(card.blocks.some((b: Json) => b.type === 'actions')).toBe(false);

    const failing = {
      ...base,
      reason: hostile(),
      status: 'revoke_failed',
      decidedAt: 1,
      window: { start: 1, end: 2 },
      receipt: { summary: 's', details: {}, revokeState: {} },
      extensions: [],
      endReason: 'expired',
      endedBy: { kind: 'system' },
      endRequestedAt: 2,
      revokeAttempts: 7,
      lastRevokeError: hostile(2000),
      failingSince: 3,
    } as AccessRequest;
    expectSafe(renderCard(buildCard(failing, 'd', ['bob']), slackIdOf).blocks, LIMITS.messageBlocks, ['U0ALICE']);
    expectSafe(renderNotice(revokeFailedNotice(failing)).blocks, LIMITS.messageBlocks);
  });

  it('mentions nobody whose Slack id is missing or malformed', () => {
    const card = renderCard(buildCard(pending('x'), 'd', []), () => '<!channel>');
    expectSafe(card.blocks, LIMITS.messageBlocks);
    expect(JSON.stringify(card.blocks)).toContain('*Requester:* alice');
  });

  it('a DM with a hostile reason, every kind, within limits', () => {
    const request = pending(hostile());
    for (const kind of ['received', 'denied', 'expiring', 'ended', 'timed_out', 'reannounce', 'revoke_failed'] as const) {
      const message = renderDirectMessage(buildDirectMessage(kind, request));
      expectSafe(message.blocks, LIMITS.messageBlocks);
    }
    const expiring = renderDirectMessage(buildDirectMessage('expiring', request));
    expect(expiring.blocks.flatMap((b: Json) => (b.type === 'actions' ? b.elements.map((e: Json) => e.action_id) : []))).toEqual(['jit_extend', 'jit_release']);
  });

  it('a DM carrying a long secret splits it over sections and keeps every byte', () => {
    const value = `eyJ${'A1b2C3d4_-.'.repeat(900)}&<>`;
    const message = renderDirectMessage({ ...buildDirectMessage('received', pending('r')), kind: 'active', secret: { label: 'Token <b>', value } });
    expectSafe(message.blocks, LIMITS.messageBlocks);
    const code = message.blocks
      .filter((b: Json) => b.type === 'section' && typeof b.text.text === 'string' && b.text.text.startsWith('```'))
      .map((b: Json) => String(b.text.text).slice(3, -3))
      .join('');
    expect(code.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')).toBe(value);
  });

  it('a secret too long for one message is refused, never cut', () => {
    const active = { ...buildDirectMessage('received', pending('r')), kind: 'active' as const };
    expect(() => renderDirectMessage({ ...active, secret: { label: 'token', value: 'x'.repeat(120 * 1024) } })).toThrow(SecretTooLargeError);
    // Escaping makes "&" five characters: 28 KB of them no longer fits either.
    expect(() => renderDirectMessage({ ...active, secret: { label: 'token', value: '&'.repeat(28 * 1024) } })).toThrow(SecretTooLargeError);
  });

  it('the Home tab with 100 of everything stays under 100 blocks', () => {
    const many = Array.from({ length: 100 }, (_, i): AccessRequest => ({ ...pending(hostile(500)), id: `JIT-${i + 1}` }));
    const active = many.map(
      (r): AccessRequest => ({ ...r, status: 'active', decidedAt: 1, window: { start: 1, end: 2 }, receipt: { summary: 's', details: {}, revokeState: {} }, extensions: [] }) as AccessRequest,
    );
    const home = renderHome({ person: 'alice', slackUserId: 'U0ALICE', mine: [...many, ...active], waitingOnMe: many });
    expect(checkView(home as Json)).toBeUndefined();
    expectSafe(home.blocks, LIMITS.viewBlocks);
    expect(JSON.stringify(home.blocks)).toContain('more: /jit list');
  });

  it('the request form with 150 resources and long, hostile descriptions', () => {
    const choices: ResourceChoice[] = Array.from({ length: 150 }, (_, i) => ({
      name: `resource-${String(i).padStart(3, '0')}-${'x'.repeat(50)}`,
      description: hostile(400),
      minMs: 10_000,
      defaultMs: 3_600_000,
      maxMs: 14_400_000,
      reason: 'required',
      ticket: '^[A-Z]+-[0-9]+$',
    }));
    const form = renderRequestForm(choices, choices[3]!.name, { responseUrl: `https://hooks.slack.com/commands/T0/1/${'z'.repeat(100)}` });
    expect(checkView(form as Json)).toBeUndefined();
    expectSafe(form.blocks, LIMITS.viewBlocks);
    const select = (form.blocks[0] as Json).element;
    expect(select.options).toHaveLength(100);
    expect(select.initial_option.value).toBe(choices[3]!.name);
    expect(String(form.private_metadata).length).toBeLessThanOrEqual(LIMITS.privateMetadata);
    expect(decodeContext(form.private_metadata).responseUrl).toContain('hooks.slack.com');
  });

  it('the deny and extend modals, even for the longest request id', () => {
    const request = { ...pending(hostile()), id: 'JIT-999999999999' };
    for (const view of [renderDenyForm(request, request.id, {}), renderExtendForm(request, request.id, { fromHome: true })]) {
      expect(checkView(view as Json)).toBeUndefined();
      expect(view.title.text.length).toBeLessThanOrEqual(LIMITS.viewTitle);
      expectSafe(view.blocks, LIMITS.viewBlocks);
    }
  });

  it('modal context survives a round trip and ignores junk', () => {
    expect(decodeContext(encodeContext({ requestId: 'JIT-1', responseUrl: 'https://hooks.slack.com/x', fromHome: true }))).toEqual({
      requestId: 'JIT-1',
      responseUrl: 'https://hooks.slack.com/x',
      fromHome: true,
    });
    expect(decodeContext('not json')).toEqual({});
    expect(decodeContext('{"responseUrl":"javascript:alert(1)","requestId":5}')).toEqual({});
  });
});
