import { describe, expect, it } from 'vitest';
import { ConversationDirectory } from '../../../../src/chat/teams/conversation-directory.js';
import { ConnectorError, type ConversationAddress, type CreateConversationRequest, type OutboundActivity, type TeamsConnection } from '../../../../src/chat/teams/teams-connection.js';
import type { TeamsContext } from '../../../../src/chat/teams/teams-context.js';
import { TeamsNotifier } from '../../../../src/chat/teams/teams-notifier.js';
import type { AuditDraft } from '../../../../src/core/domain/audit-event.js';
import { approveAction, denyAction, type CardView, type DirectMessage } from '../../../../src/core/messages/views.js';
import { personNamed, resourceNamed } from '../../../../src/core/policy/policy-lookup.js';
import { PolicySchema } from '../../../../src/core/policy/policy-schema.js';
import { silentLogger } from '../../../../src/core/ports/logger.js';
import { NotifyError } from '../../../../src/core/ports/notifier.js';
import type { JitCore } from '../../../../src/core/services/create-core.js';

const policy = PolicySchema.parse({
  version: 1,
  people: {
    alice: { teams: 'AAD-ALICE' },
    bob: { teams: 'aad-bob', slack: 'U0BOB' },
    carol: { teams: 'aad-carol' },
    dave: { slack: 'U0DAVE' },
  },
  issuers: { gate: { type: 'none' } },
  resources: { deploy: { issuer: 'gate', requesters: ['alice'], approvers: ['bob', 'carol'], maxDuration: '1h', channel: { teams: '19:approvals@thread.tacv2' } } },
});

class FakeConnection implements TeamsConnection {
  readonly authenticated = true;
  readonly appId = 'app-id';
  readonly sent: { to: ConversationAddress; activity: OutboundActivity }[] = [];
  readonly created: CreateConversationRequest[] = [];
  readonly updated: { to: ConversationAddress; activityId: string; activity: OutboundActivity }[] = [];
  failures: ConnectorError[] = [];
  async handle(): Promise<never> {
    throw new Error('not used');
  }
  async send(to: ConversationAddress, activity: OutboundActivity): Promise<string> {
    this.fail();
    this.sent.push({ to, activity });
    return `sent-${this.sent.length}`;
  }
  async createConversation(request: CreateConversationRequest) {
    this.fail();
    this.created.push(request);
    return request.channelId ? { conversationId: `${request.channelId};messageid=77`, activityId: '77' } : { conversationId: `a:${request.memberId}`, activityId: undefined };
  }
  async update(to: ConversationAddress, activityId: string, activity: OutboundActivity): Promise<void> {
    this.fail();
    this.updated.push({ to, activityId, activity });
  }
  async listMembers(): Promise<never[]> {
    return [];
  }
  private fail(): void {
    const failure = this.failures.shift();
    if (failure) throw failure;
  }
}

function setup() {
  const values = new Map<string, string>();
  const claims = new Set<string>();
  const audit: AuditDraft[] = [];
  const store = {
    putValue: async (ns: string, key: string, value: string) => void values.set(`${ns}/${key}`, value),
    getValue: async (ns: string, key: string) => values.get(`${ns}/${key}`),
    claimOnce: async (key: string) => (claims.has(key) ? false : (claims.add(key), true)),
    appendAudit: async (draft: AuditDraft) => void audit.push(draft),
    get: async (id: string) => ({ id, resource: 'deploy', requester: 'alice' }),
  };
  const core = {
    findRequest: store.get,
    policy: {
      person: (name: string) => (personNamed(policy, name) ? { name, ...personNamed(policy, name) } : undefined),
      resourceChannel: (resource: string, platform: 'slack' | 'teams') => resourceNamed(policy, resource)?.channel[platform],
    },
  } as unknown as JitCore;
  const connection = new FakeConnection();
  const directory = new ConversationDirectory(store, silentLogger);
  const context: TeamsContext = { core, state: store, audit: store as unknown as TeamsContext['audit'], connection, directory, log: silentLogger, tenantId: 'tenant-1' };
  return { notifier: new TeamsNotifier(context), connection, directory, audit, values };
}

const person = (name: string) => ({ name, ...policy.people[name] });
const dm: DirectMessage = { kind: 'active', requestId: 'JIT-1', title: 'JIT-1 approved and active', lines: ['Your access is active.'], actions: [] };
const view: CardView = {
  requestId: 'JIT-1',
  version: 1,
  title: 'JIT-1: alice requests deploy',
  tone: 'waiting',
  requester: 'alice',
  resource: 'deploy',
  resourceDescription: '',
  duration: '1h',
  reason: 'r',
  approvals: '0 of 1',
  status: 'Waiting.',
  actions: [approveAction('JIT-1'), denyAction('JIT-1')],
  eligibleApprovers: ['bob', 'carol'],
};
const service = 'https://smba.trafficmanager.net/emea/';

describe('TeamsNotifier', () => {
  it('knows people with a Teams id; leaves someone Teams cannot reach but Slack can to Slack', async () => {
    const { notifier, directory } = setup();
    expect(notifier.knows(person('dave'))).toBe(false);
    expect(notifier.knows(person('alice'))).toBe(true);
    expect(notifier.knows(person('bob'))).toBe(true);
    await directory.preload(['aad-bob', 'AAD-ALICE']);
    expect(notifier.knows(person('bob'))).toBe(false);
    expect(notifier.knows(person('alice'))).toBe(true);
    await directory.rememberUser({ aadObjectId: 'aad-bob', userId: '29:bob', serviceUrl: service });
    expect(notifier.knows(person('bob'))).toBe(true);
  });

  it('sends DMs into the stored personal chat, opening it from the Bot Framework id when needed', async () => {
    const { notifier, connection, directory } = setup();
    await directory.rememberUser({ aadObjectId: 'aad-alice', userId: '29:alice', serviceUrl: service, tenantId: 'tenant-1', botId: '28:app' });
    await notifier.sendDirect(person('alice'), dm);
    expect(connection.created).toEqual([{ serviceUrl: service, tenantId: 'tenant-1', botId: '28:app', memberId: '29:alice' }]);
    expect(connection.sent[0]!.to).toMatchObject({ conversationId: 'a:29:alice', serviceUrl: service });
    expect((await directory.user('AAD-ALICE'))?.conversationId).toBe('a:29:alice');
    await notifier.sendDirect(person('alice'), dm);
    expect(connection.created).toHaveLength(1);
    expect(connection.sent).toHaveLength(2);
  });

  it('reports someone it cannot reach: audit, a notice in the approvers\' channel (once), a non-retryable error naming them', async () => {
    const { notifier, connection, directory, audit } = setup();
    await directory.rememberService({ serviceUrl: service, tenantId: 'tenant-1', botId: '28:app' });
    const error = await notifier.sendDirect(person('carol'), dm).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotifyError);
    expect((error as NotifyError).retryable).toBe(false);
    expect((error as NotifyError).message).toContain('jitbot cannot reach carol in Microsoft Teams');
    expect(audit).toEqual([expect.objectContaining({ type: 'notify.unreachable', requestId: 'JIT-1', data: { person: 'carol', platform: 'teams', message: 'active' } })]);
    expect(connection.created).toHaveLength(1);
    expect(connection.created[0]).toMatchObject({ channelId: '19:approvals@thread.tacv2', serviceUrl: service });
    expect(JSON.stringify(connection.created[0]!.activity)).toContain('carol cannot be reached in Teams');
    await notifier.sendDirect(person('carol'), { ...dm, kind: 'ended' }).catch(() => undefined);
    expect(connection.created).toHaveLength(1);
  });

  it('maps 429 and 5xx to retryable errors (with Retry-After) and 403 to unreachable', async () => {
    const { notifier, connection, directory } = setup();
    await directory.rememberUser({ aadObjectId: 'aad-alice', userId: '29:alice', serviceUrl: service, conversationId: 'a:alice' });
    connection.failures.push(new ConnectorError('throttled', 429, 3000));
    const throttled = (await notifier.sendDirect(person('alice'), dm).catch((e: unknown) => e)) as NotifyError;
    expect([throttled.retryable, throttled.retryAfterMs]).toEqual([true, 3000]);
    connection.failures.push(new ConnectorError('down', 503, undefined));
    expect(((await notifier.sendDirect(person('alice'), dm).catch((e: unknown) => e)) as NotifyError).retryable).toBe(true);
    connection.failures.push(new ConnectorError('blocked', 403, undefined));
    const blocked = (await notifier.sendDirect(person('alice'), dm).catch((e: unknown) => e)) as NotifyError;
    expect(blocked.retryable).toBe(false);
    expect(blocked.message).toContain('HTTP 403');
  });

  it('posts a card as a new channel thread with refresh ids, and updates it in place', async () => {
    const { notifier, connection, directory } = setup();
    await directory.rememberChannel({ channelId: '19:approvals@thread.tacv2', serviceUrl: service, tenantId: 'tenant-1', botId: '28:app' });
    await directory.rememberUser({ aadObjectId: 'aad-bob', userId: '29:bob', serviceUrl: service });
    const ref = await notifier.postCard('19:approvals@thread.tacv2', view);
    expect(ref).toEqual({
      platform: 'teams',
      channel: '19:approvals@thread.tacv2',
      messageId: '77',
      extra: { conversationId: '19:approvals@thread.tacv2;messageid=77', serviceUrl: service, tenantId: 'tenant-1', botId: '28:app' },
    });
    const card = JSON.stringify(connection.created[0]!.activity);
    expect(card).toContain('"userIds":["29:bob","8:orgid:aad-carol"]');
    await notifier.updateCard(ref, { ...view, actions: [], title: 'JIT-1: approved' });
    expect(connection.updated[0]).toMatchObject({ activityId: '77', to: { conversationId: '19:approvals@thread.tacv2;messageid=77' } });
    expect(JSON.stringify(connection.updated[0]!.activity)).not.toContain('refresh');
    connection.failures.push(new ConnectorError('gone', 404, undefined));
    const gone = (await notifier.updateCard(ref, view).catch((e: unknown) => e)) as NotifyError;
    expect(gone.retryable).toBe(false);
  });

  it('cannot post where it has never been told about Teams, and says how to fix it', async () => {
    const { notifier } = setup();
    const error = (await notifier.postCard('19:other@thread.tacv2', view).catch((e: unknown) => e)) as NotifyError;
    expect(error.retryable).toBe(false);
    expect(error.message).toContain('Add the jitbot app to that channel');
  });

  it('measures a secret against the 28 KB a Teams message carries, and never sends one that would not fit', async () => {
    const { notifier, connection } = setup();
    const fits = notifier.measureSecret({ label: 'token', value: 'a'.repeat(20 * 1024) });
    expect(fits.bytes).toBeLessThanOrEqual(fits.maxBytes);
    const big = notifier.measureSecret({ label: 'token', value: 'a'.repeat(40 * 1024) });
    expect(big).toMatchObject({ maxBytes: 28 * 1024, platform: 'Microsoft Teams' });
    expect(big.bytes).toBeGreaterThan(big.maxBytes);
    // JSON escaping counts: 14 KB of quotes take 28 KB in the card.
    expect(notifier.measureSecret({ label: 'token', value: '"'.repeat(14 * 1024) }).bytes).toBeGreaterThan(28 * 1024);
    const error = (await notifier.sendDirect(person('alice'), { ...dm, secret: { label: 'token', value: 'a'.repeat(40 * 1024) } }).catch((e: unknown) => e)) as NotifyError;
    expect(error).toBeInstanceOf(NotifyError);
    expect(error.retryable).toBe(false);
    expect(connection.sent.some((s) => JSON.stringify(s).includes('a'.repeat(1000)))).toBe(false);
  });
});
