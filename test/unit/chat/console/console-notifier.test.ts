import { describe, expect, it } from 'vitest';
import { ConsoleNotifier } from '../../../../src/chat/console/console-notifier.js';
import { PLAIN_STYLE } from '../../../../src/chat/console/console-renderer.js';
import type { CardView } from '../../../../src/core/messages/views.js';

const card = (version: number, status: string): CardView => ({
  requestId: 'JIT-1',
  version,
  title: `JIT-1: ${status}`,
  tone: 'neutral',
  requester: 'alice',
  resource: 'deploy',
  resourceDescription: '',
  duration: '1m',
  reason: '',
  approvals: '0 of 1',
  status,
  actions: [],
  eligibleApprovers: [],
});

describe('console notifier', () => {
  it('reaches everyone, prints each card version once and never an older one after a newer', async () => {
    const printed: string[] = [];
    const notifier = new ConsoleNotifier({ print: (t) => void printed.push(t), style: () => PLAIN_STYLE });
    expect(notifier.knows({ name: 'anyone' })).toBe(true);
    const ref = await notifier.postCard('approvals', card(1, 'pending'));
    expect(ref).toMatchObject({ platform: 'console', channel: 'approvals' });
    await notifier.updateCard(ref, card(3, 'active'));
    await notifier.updateCard(ref, card(2, 'approved')); // late delivery of an older state
    await notifier.updateCard(ref, card(3, 'active')); // repeated delivery
    expect(printed).toHaveLength(2);
    expect(printed[1]).toContain('── #approvals · JIT-1 updated ──');
    expect(printed[1]).toContain('JIT-1: active');
    expect(notifier.cardVersionShown('JIT-1')).toBe(3);
  });

  it('labels DMs with their recipient and remembers what it showed', async () => {
    const printed: string[] = [];
    const notifier = new ConsoleNotifier({ print: (t) => void printed.push(t), style: () => PLAIN_STYLE });
    await notifier.sendDirect({ name: 'alice' }, { kind: 'ended', requestId: 'JIT-7', title: 'JIT-7 ended', lines: ['over'], actions: [] });
    expect(printed[0]).toContain('── DM to alice ──');
    expect(notifier.dmShown('JIT-7', 'ended')).toBe(true);
    expect(notifier.dmShown('JIT-7', 'active')).toBe(false);
    expect(notifier.knownIds()).toEqual(['JIT-7']);
  });
});
