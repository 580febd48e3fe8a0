import { describe, expect, it } from 'vitest';
import { approveAction, denyAction, releaseAction, type CardView, type DirectMessage } from '../../../../src/core/messages/views.js';
import { PLAIN_STYLE, renderCard, renderDirect, renderNote, renderNotice, renderReply, terminalStyle } from '../../../../src/chat/console/console-renderer.js';
import { displayWidth } from '../../../../src/chat/console/terminal-text.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*m/g;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000B-\u001F\u007F-\u009F]/;
const strip = (text: string): string => text.replace(ANSI, '');

function card(overrides: Partial<CardView> = {}): CardView {
  return {
    requestId: 'JIT-3',
    version: 1,
    title: 'JIT-3: alice requests prod-deploy',
    tone: 'waiting',
    requester: 'alice',
    resource: 'prod-deploy',
    resourceDescription: 'Maintain on acme/app',
    duration: '1h',
    reason: 'fixing INC-7',
    approvals: '0 of 1',
    status: 'Waiting for 1 more approval.',
    actions: [approveAction('JIT-3'), denyAction('JIT-3')],
    eligibleApprovers: ['bob'],
    ...overrides,
  };
}

function activeDm(): DirectMessage {
  return {
    kind: 'active',
    requestId: 'JIT-3',
    title: 'JIT-3 approved and active',
    lines: ['Your access to prod-deploy is active.', 'The secret below is shown only here, once.'],
    actions: [releaseAction('JIT-3')],
    secret: { label: 'JWT', value: 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl' },
  };
}

/** A reason made to break a terminal: 3,000 characters with escape sequences, controls, bidi overrides, tabs and line breaks. */
const HOSTILE_REASON = (
  'deploy\u001B[2J\u001B[31mRED\u001B[0m \u0007bell \r\n── DM to alice ──\n\u202Eevil\u202C\ttab \u0000nul ' +
  'x'.repeat(200) +
  ' 漢字かな 🚀 emoji '
).repeat(12).slice(0, 3000);

describe('console renderer, plain (piped)', () => {
  it('prints a card with no escape sequences, labelled with its channel, each button as its command', () => {
    const out = renderCard('approvals', card(), false, PLAIN_STYLE);
    expect(out).not.toMatch(ANSI);
    expect(out).not.toContain('\u001B');
    expect(out.split('\n')[1]).toBe('── #approvals ──');
    expect(out).toContain('  JIT-3: alice requests prod-deploy');
    expect(out).toMatch(/^ {2}Requester {2}alice$/m);
    expect(out).toMatch(/^ {2}Resource {3}prod-deploy — Maintain on acme\/app$/m);
    expect(out).toMatch(/^ {2}\[Approve\] {2}\/jit approve JIT-3$/m);
    expect(out).toMatch(/^ {2}\[Deny\] {5}\/jit deny JIT-3 <reason>$/m);
  });

  it('labels a card update and shows its new status without buttons', () => {
    const out = renderCard('approvals', card({ version: 4, title: 'JIT-3: ended', tone: 'neutral', status: 'Ended: expired.', actions: [] }), true, PLAIN_STYLE);
    expect(out).toContain('── #approvals · JIT-3 updated ──');
    expect(out).toMatch(/Status {5}Ended: expired\./);
    expect(out).not.toContain('/jit approve');
  });

  it('keeps every line of a block indented and never blank, so a hostile reason cannot forge a header or end the block', () => {
    const out = renderCard('approvals', card({ reason: HOSTILE_REASON }), false, PLAIN_STYLE);
    const lines = out.split('\n').slice(1, -1);
    expect(lines[0]).toBe('── #approvals ──');
    for (const line of lines.slice(1)) {
      expect(line.startsWith('  '), JSON.stringify(line)).toBe(true);
      expect(line).not.toMatch(CONTROL);
      expect(line).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
    }
    expect(lines.filter((l) => l.startsWith('──'))).toHaveLength(1);
  });

  it('prints a DM with its recipient and the secret in full on its own line', () => {
    const out = renderDirect('alice', activeDm(), PLAIN_STYLE);
    expect(out.split('\n')[1]).toBe('── DM to alice ──');
    expect(out).toContain('  JWT (only you see this):\n  eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl\n');
    expect(out).toMatch(/\[Release now\] {2}\/jit release JIT-3/);
    expect(out).not.toMatch(ANSI);
  });

  it('prints replies as the typing person’s private answer, and notices in their channel', () => {
    expect(renderReply('bob', { ok: false, text: 'No.\n\nReally not.' }, PLAIN_STYLE)).toBe('\n── to bob (only bob sees this) ──\n  No.\n  \n  Really not.\n');
    const notice = renderNotice('approvals', { requestId: 'JIT-3', tone: 'alarm', title: 'Revocation of JIT-3 is failing', lines: ['retrying'] }, PLAIN_STYLE);
    expect(notice).toBe('\n── #approvals ──\n  Revocation of JIT-3 is failing\n  retrying\n');
    expect(renderNote('Now typing as bob.\u001B[2J', PLAIN_STYLE)).toBe('\n[console] Now typing as bob.\n');
  });
});

describe('console renderer, terminal', () => {
  const style = terminalStyle(72);

  it('draws a box whose every line has the same width, however long and hostile the reason', () => {
    const out = strip(renderCard('approvals', card({ reason: HOSTILE_REASON }), false, style));
    const lines = out.split('\n').slice(2, -1);
    expect(lines[0]).toMatch(/^╭─+╮$/);
    expect(lines[lines.length - 1]).toMatch(/^╰─+╯$/);
    for (const line of lines) {
      expect(displayWidth(line), JSON.stringify(line)).toBe(72);
      expect(line).not.toMatch(CONTROL);
      expect(line).not.toMatch(/[\u202A-\u202E\u2066-\u2069\uFEFF]/);
    }
    for (const line of lines.slice(1, -1)) expect(line).toMatch(/^│ .* │$/);
    // The whole reason is there (wrapped), only the dangerous characters are gone.
    const text = lines.slice(1, -1).map((l) => l.slice(2, -2).trimEnd()).join('');
    expect(text.replace(/\s/g, '')).toContain('x'.repeat(100));
    expect(text).toContain('漢字かな');
    expect(text).not.toContain('RED\u001B');
  });

  it('uses colour, and wraps long titles and commands inside the box', () => {
    const raw = renderCard('approvals', card({ title: `JIT-3: ${'a'.repeat(150)}` }), false, terminalStyle(40));
    expect(raw).toMatch(ANSI);
    for (const line of strip(raw).split('\n').slice(2, -1)) expect(displayWidth(line)).toBe(40);
  });

  it('keeps the secret outside the box, unwrapped, so it can be copied', () => {
    const out = strip(renderDirect('alice', activeDm(), terminalStyle(40)));
    expect(out).toContain('\n  eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl\n');
    expect(out.indexOf('eyJ')).toBeGreaterThan(out.indexOf('╰'));
  });
});
