import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HomePublisher } from '../../../../src/chat/slack/app-home.js';
import { SlackNotifier } from '../../../../src/chat/slack/slack-notifier.js';
import { createWebClient } from '../../../../src/chat/slack/slack-web-client.js';
import type { AccessRequest } from '../../../../src/core/domain/access-request.js';
import { buildDirectMessage } from '../../../../src/core/messages/direct-messages.js';
import { buildCard } from '../../../../src/core/messages/views.js';
import { silentLogger } from '../../../../src/core/ports/logger.js';
import { NotifyError } from '../../../../src/core/ports/notifier.js';
import type { JitCore } from '../../../../src/core/services/create-core.js';
import { FakeSlack } from '../../../fakes/fake-slack.js';
import { timing } from '../../../support/timing.js';

const people: Record<string, { slack?: string }> = { alice: { slack: 'U0ALICE' }, bob: { slack: 'U0BOB' }, carol: { slack: 'U0CAROL' }, nobody: {} };
const values = new Map<string, string>();
const store = {
  putValue: async (ns: string, key: string, value: string) => void values.set(`${ns}/${key}`, value),
  getValue: async (ns: string, key: string) => values.get(`${ns}/${key}`),
  listByRequester: async () => [],
  listWaitingOn: async () => [],
};
const core = {
  policy: { person: (name: string) => (Object.hasOwn(people, name) ? { name, ...people[name] } : undefined) },
  home: async (person: string) => ({ person, requests: [], grants: [], pending: [], waitingOn: [] }),
  identify: (_platform: string, id: string) => {
    const name = Object.entries(people).find(([, p]) => p.slack === id)?.[0];
    if (!name) throw new Error('unknown');
    return { kind: 'person', person: name, via: 'slack', platformUserId: id };
  },
} as unknown as JitCore;

const request: AccessRequest = {
  id: 'JIT-7',
  resource: 'deploy',
  requester: 'alice',
  durationMs: 60_000,
  reason: 'ship it',
  createdAt: 1,
  version: 1,
  approvalsRequired: 1,
  approvals: [],
  via: 'slack',
  status: 'pending',
  timeoutAt: 2,
};

let fake: FakeSlack;
let home: HomePublisher;
let notifier: SlackNotifier;

beforeAll(async () => {
  fake = await new FakeSlack().start();
  const client = createWebClient(fake.botToken, fake.apiUrl, silentLogger);
  home = new HomePublisher({ core, state: store, client, log: silentLogger }, 20);
  notifier = new SlackNotifier({ core, client, home, log: silentLogger });
});
afterAll(async () => {
  home.stop();
  await fake.stop();
});

async function failure(promise: Promise<unknown>): Promise<NotifyError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NotifyError);
  return error as NotifyError;
}

describe('SlackNotifier on a fake Slack Web API', () => {
  it('knows people with a Slack id only', () => {
    expect(notifier.knows({ name: 'alice', slack: 'U0ALICE' })).toBe(true);
    expect(notifier.knows({ name: 'nobody' })).toBe(false);
  });

  it('opens the DM once, then posts into it', async () => {
    await notifier.sendDirect({ name: 'alice', slack: 'U0ALICE' }, buildDirectMessage('received', request));
    await notifier.sendDirect({ name: 'alice', slack: 'U0ALICE' }, buildDirectMessage('received', request));
    expect(fake.okCallsOf('conversations.open')).toHaveLength(1);
    expect(fake.okCallsOf('chat.postMessage', (c) => c.args.channel === 'D0ALICE')).toHaveLength(2);
  });

  it('maps 429 to a retryable error carrying Retry-After, without waiting or retrying itself', async () => {
    fake.fail('chat.postMessage', { kind: 'rate_limited', retryAfter: '7' });
    const before = fake.callsOf('chat.postMessage').length;
    const started = Date.now();
    const error = await failure(notifier.sendDirect({ name: 'alice', slack: 'U0ALICE' }, buildDirectMessage('received', request)));
    timing('429 mapped to an error (Retry-After 7 s not waited)', Date.now() - started, 1000);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: 7000 });
    expect(fake.callsOf('chat.postMessage').length - before).toBe(1);
  });

  it('maps 5xx and garbled Retry-After to retryable, and errors Slack will always give to not retryable', async () => {
    fake.fail('chat.postMessage', { kind: 'http', status: 502 });
    expect(await failure(notifier.postNotice('C1', { requestId: 'JIT-7', tone: 'alarm', title: 't', lines: [] }))).toMatchObject({ retryable: true, retryAfterMs: undefined });
    fake.fail('chat.postMessage', { kind: 'rate_limited', retryAfter: 'later' });
    expect((await failure(notifier.postNotice('C1', { requestId: 'JIT-7', tone: 'alarm', title: 't', lines: [] }))).retryable).toBe(true);
    fake.fail('chat.postMessage', { kind: 'error', error: 'channel_not_found' });
    const permanent = await failure(notifier.postNotice('C1', { requestId: 'JIT-7', tone: 'alarm', title: 't', lines: [] }));
    expect(permanent.retryable).toBe(false);
    expect(permanent.message).toContain('channel_not_found');
  });

  it('gives up on a call slower than its timeout, retryably', async () => {
    fake.fail('chat.postMessage', { kind: 'slow', delayMs: 7000 });
    const started = Date.now();
    const error = await failure(notifier.postNotice('C1', { requestId: 'JIT-7', tone: 'alarm', title: 't', lines: [] }));
    timing('a 7 s call given up at its timeout', Date.now() - started, 6500);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('timeout');
  }, 10_000);

  it('posts a card, keeps the policy’s channel in the ref, updates in place, and never shows an older version over a newer', async () => {
    const card = buildCard(request, 'Deploy', ['bob']);
    const ref = await notifier.postCard('C0APPROVALS', card);
    expect(ref).toMatchObject({ platform: 'slack', channel: 'C0APPROVALS', extra: { channelId: 'C0APPROVALS' } });
    const newer = buildCard({ ...request, version: 3, status: 'cancelled', cancelledAt: 5 } as AccessRequest, 'Deploy', ['bob']);
    const older = buildCard({ ...request, version: 2 }, 'Deploy', ['bob']);
    await notifier.updateCard(ref, newer);
    await notifier.updateCard(ref, older);
    const updates = fake.okCallsOf('chat.update', (c) => c.args.ts === ref.messageId);
    expect(updates).toHaveLength(1);
    expect(JSON.stringify(updates[0]!.args.blocks)).toContain('Cancelled by alice');
    await notifier.updateCard(ref, newer);
    expect(fake.okCallsOf('chat.update', (c) => c.args.ts === ref.messageId)).toHaveLength(2);
  });

  it('reports a card that no longer exists as not retryable', async () => {
    const error = await failure(notifier.updateCard({ platform: 'slack', channel: 'C0APPROVALS', messageId: '1.999999' }, buildCard(request, 'd', [])));
    expect(error.retryable).toBe(false);
  });

  it('refreshes the Home tab after a card change, only for people who opened it', async () => {
    await new Promise((resolve) => setTimeout(resolve, 100)); // earlier tests' debounced refreshes
    await home.markOpened('U0BOB');
    const before = fake.okCallsOf('views.publish').length;
    await notifier.postCard('C0APPROVALS', buildCard({ ...request, id: 'JIT-8' }, 'Deploy', ['bob', 'carol']));
    await fake.waitFor('bob’s home', () => fake.okCallsOf('views.publish').length > before);
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Bob opened his tab and is an approver; alice and carol never opened theirs.
    expect(new Set(fake.okCallsOf('views.publish').slice(before).map((c) => c.args.user_id))).toEqual(new Set(['U0BOB']));
  });
});
