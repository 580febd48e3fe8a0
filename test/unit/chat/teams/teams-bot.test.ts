import { describe, expect, it } from 'vitest';
import { ConversationDirectory } from '../../../../src/chat/teams/conversation-directory.js';
import { TeamsBot } from '../../../../src/chat/teams/teams-bot.js';
import type { TeamsContext } from '../../../../src/chat/teams/teams-context.js';
import type { ConversationAddress, ConversationMember, TeamsConnection } from '../../../../src/chat/teams/teams-connection.js';
import type { AuditDraft } from '../../../../src/core/domain/audit-event.js';
import { silentLogger } from '../../../../src/core/ports/logger.js';
import type { JitCore } from '../../../../src/core/services/create-core.js';

const SERVICE = 'https://smba.trafficmanager.net/emea/';

function setup(roster: ConversationMember[] = [], tenantId = 'tenant-1') {
  const values = new Map<string, string>();
  const claims = new Set<string>();
  const audit: AuditDraft[] = [];
  const store = {
    putValue: async (ns: string, key: string, value: string) => void values.set(`${ns}/${key}`, value),
    getValue: async (ns: string, key: string) => values.get(`${ns}/${key}`),
    claimOnce: async (key: string) => (claims.has(key) ? false : (claims.add(key), true)),
    appendAudit: async (draft: AuditDraft) => void audit.push(draft),
  };
  const listed: ConversationAddress[] = [];
  const connection = {
    authenticated: true,
    appId: 'app',
    listMembers: async (to: ConversationAddress) => {
      listed.push(to);
      return roster;
    },
  } as unknown as TeamsConnection;
  const directory = new ConversationDirectory(store, silentLogger);
  const bot = new TeamsBot({ core: {} as unknown as JitCore, state: store, audit: store as unknown as TeamsContext['audit'], connection, directory, log: silentLogger, tenantId });
  const sent: unknown[] = [];
  const turn = { send: async (activity: unknown) => (sent.push(activity), 'id') };
  return { bot, directory, audit, listed, sent, turn };
}

const activity = (overrides: Record<string, unknown>) => ({
  id: `a-${Math.random()}`,
  channelId: 'msteams',
  serviceUrl: SERVICE,
  from: { id: '29:bob', aadObjectId: 'aad-bob' },
  recipient: { id: '28:app' },
  conversation: { id: '19:general@thread.tacv2', conversationType: 'channel', tenantId: 'tenant-1' },
  channelData: { tenant: { id: 'tenant-1' }, team: { id: '19:general@thread.tacv2' } },
  ...overrides,
});

describe('TeamsBot', () => {
  it('reads the roster when added to a team, and learns people who join later', async () => {
    const { bot, directory, listed, turn } = setup([
      { id: '28:app' },
      { id: '29:carol', aadObjectId: 'aad-carol' },
      { id: '29:dave', aadObjectId: 'AAD-DAVE' },
    ]);
    await bot.onActivity(activity({ type: 'conversationUpdate', membersAdded: [{ id: '28:app' }] }), turn);
    expect(listed).toEqual([{ serviceUrl: SERVICE, botId: '28:app', tenantId: 'tenant-1', conversationId: '19:general@thread.tacv2' }]);
    expect(await directory.user('aad-carol')).toMatchObject({ userId: '29:carol', serviceUrl: SERVICE, tenantId: 'tenant-1', botId: '28:app' });
    expect(await directory.user('aad-dave')).toMatchObject({ userId: '29:dave' });
    expect(await directory.channel('19:general@thread.tacv2')).toMatchObject({ serviceUrl: SERVICE });

    await bot.onActivity(activity({ type: 'conversationUpdate', membersAdded: [{ id: '29:erin', aadObjectId: 'aad-erin' }] }), turn);
    expect(await directory.user('aad-erin')).toMatchObject({ userId: '29:erin' });
    expect(listed).toHaveLength(1);
  });

  it('keeps the personal chat of someone it later sees in a channel', async () => {
    const { bot, directory, turn } = setup();
    await bot.onActivity(
      activity({ type: 'installationUpdate', action: 'add', conversation: { id: 'a:bob-personal', conversationType: 'personal', tenantId: 'tenant-1' }, channelData: { tenant: { id: 'tenant-1' } } }),
      turn,
    );
    expect((await directory.user('aad-bob'))?.conversationId).toBe('a:bob-personal');
    await bot.onActivity(activity({ type: 'conversationUpdate' }), turn);
    expect((await directory.user('aad-bob'))?.conversationId).toBe('a:bob-personal');
  });

  it('ignores another tenant: nothing stored, audited at most once a minute per user, invokes refused', async () => {
    const { bot, directory, audit, turn } = setup();
    const other = { conversation: { id: 'a:x', conversationType: 'personal', tenantId: 'evil' }, channelData: { tenant: { id: 'evil' } } };
    expect(await bot.onActivity(activity({ type: 'message', text: 'list', ...other }), turn)).toBeUndefined();
    expect(await bot.onActivity(activity({ type: 'message', text: 'list again', ...other }), turn)).toBeUndefined();
    expect(await bot.onActivity(activity({ type: 'invoke', name: 'adaptiveCard/action', value: {}, ...other }), turn)).toMatchObject({ status: 403 });
    expect(await directory.user('aad-bob')).toBeUndefined();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ type: 'auth.tenant_rejected', requestId: null, actor: { kind: 'system' }, data: { tenant: 'evil', aadObjectId: 'aad-bob' } });
  });

  it('answers a malformed invoke with 400 and ignores a malformed message', async () => {
    const { bot, turn } = setup();
    expect(await bot.onActivity({ type: 'invoke', name: 'adaptiveCard/action' }, turn)).toMatchObject({ status: 400 });
    expect(await bot.onActivity({ type: 'message', text: 'hi' }, turn)).toBeUndefined();
  });
});
