import { describe, expect, it } from 'vitest';
import { appIdOfAppToken, checkOrigin, combineInstallation, payloadOrigin, type SlackInstallation } from '../../../../src/chat/slack/installation-pin.js';

const ours: SlackInstallation = { teamId: 'T0OURS', appId: 'A0OURS', orgWide: false };
const verdict = (body: unknown, ...installation: [SlackInstallation | undefined] | []) => checkOrigin(payloadOrigin(body), installation.length ? installation[0] : ours);

describe('Slack installation pinning', () => {
  it('accepts each payload shape of the installation: slash command, interaction, view submission, event', () => {
    expect(verdict({ command: '/jit', team_id: 'T0OURS', api_app_id: 'A0OURS' })).toEqual({ ok: true });
    expect(verdict({ type: 'block_actions', team: { id: 'T0OURS' }, enterprise: null, api_app_id: 'A0OURS' })).toEqual({ ok: true });
    expect(verdict({ type: 'view_submission', team: { id: 'T0OURS' }, api_app_id: 'A0OURS', view: { team_id: 'T0OURS', app_id: 'A0OURS' } })).toEqual({ ok: true });
    expect(verdict({ type: 'event_callback', team_id: 'T0OURS', api_app_id: 'A0OURS', event: {} })).toEqual({ ok: true });
    expect(verdict({ type: 'block_suggestion', team: { id: 'T0OURS' }, api_app_id: 'A0OURS' })).toEqual({ ok: true });
  });

  it.each([
    ['another workspace', { type: 'block_actions', team: { id: 'T0EVIL' }, api_app_id: 'A0OURS' }, 'other workspace'],
    ['no workspace at all', { type: 'block_actions', api_app_id: 'A0OURS' }, 'other workspace'],
    ['a workspace named twice, differently', { type: 'view_submission', team: { id: 'T0OURS' }, api_app_id: 'A0OURS', view: { team_id: 'T0EVIL' } }, 'other workspace'],
    ['another app', { command: '/jit', team_id: 'T0OURS', api_app_id: 'A0EVIL' }, 'other app'],
    ['no app', { command: '/jit', team_id: 'T0OURS' }, 'other app'],
    ['an organization the installation is not in', { command: '/jit', team_id: 'T0OURS', enterprise_id: 'E0EVIL', api_app_id: 'A0OURS' }, 'other organization'],
    ['a malformed team field', { type: 'block_actions', team: 'T0OURS', api_app_id: 'A0OURS' }, 'other workspace'],
    ['not an object', 'team_id=T0OURS', 'other app'],
  ])('refuses %s', (_name, body, reason) => {
    expect(verdict(body)).toEqual({ ok: false, reason });
  });

  it('refuses everything while the installation is unknown', () => {
    expect(verdict({ command: '/jit', team_id: 'T0OURS', api_app_id: 'A0OURS' }, undefined)).toEqual({ ok: false, reason: 'unknown installation' });
    expect(verdict({ command: '/jit', team_id: 'T0OURS', api_app_id: 'A0OURS' }, { orgWide: false })).toEqual({ ok: false, reason: 'unknown installation' });
  });

  it('checks the workspace only when the app id is unknown', () => {
    expect(verdict({ command: '/jit', team_id: 'T0OURS' }, { teamId: 'T0OURS', orgWide: false })).toEqual({ ok: true });
  });

  it('inside an organization: the organization must match too; an org-wide install accepts any of its workspaces', () => {
    const grid: SlackInstallation = { teamId: 'T0OURS', enterpriseId: 'E0ORG', appId: 'A0OURS', orgWide: false };
    expect(verdict({ command: '/jit', team_id: 'T0OURS', enterprise_id: 'E0ORG', api_app_id: 'A0OURS' }, grid)).toEqual({ ok: true });
    expect(verdict({ command: '/jit', team_id: 'T0OURS', enterprise_id: 'E0OTHER', api_app_id: 'A0OURS' }, grid)).toEqual({ ok: false, reason: 'other organization' });
    const orgWide: SlackInstallation = { enterpriseId: 'E0ORG', appId: 'A0OURS', orgWide: true };
    expect(verdict({ type: 'block_actions', team: { id: 'T0ANY', enterprise_id: 'E0ORG' }, enterprise: { id: 'E0ORG' }, api_app_id: 'A0OURS' }, orgWide)).toEqual({ ok: true });
    expect(verdict({ type: 'block_actions', team: { id: 'T0ANY' }, enterprise: { id: 'E0OTHER' }, api_app_id: 'A0OURS' }, orgWide)).toEqual({ ok: false, reason: 'other organization' });
    expect(verdict({ type: 'block_actions', team: { id: 'T0ANY' }, api_app_id: 'A0OURS' }, orgWide)).toEqual({ ok: false, reason: 'other organization' });
  });

  it('combines the environment with auth.test, and refuses a setting that contradicts the bot token', () => {
    expect(combineInstallation({}, { teamId: 'T1', appId: 'A1' })).toEqual({ teamId: 'T1', appId: 'A1', orgWide: false });
    expect(combineInstallation({ appId: 'A1' }, { teamId: 'T1' })).toEqual({ teamId: 'T1', appId: 'A1', orgWide: false });
    expect(combineInstallation({ teamId: 'T1' }, undefined)).toEqual({ teamId: 'T1', orgWide: false });
    expect(() => combineInstallation({ teamId: 'T2' }, { teamId: 'T1' })).toThrow('SLACK_TEAM_ID is T2, but SLACK_BOT_TOKEN belongs to workspace T1');
    expect(() => combineInstallation({ appId: 'A2' }, { teamId: 'T1', appId: 'A1' })).toThrow('SLACK_APP_ID is A2');
  });

  it('reads the app id from an app-level token', () => {
    expect(appIdOfAppToken('xapp-1-A0JITBOT-123-abc')).toBe('A0JITBOT');
    expect(appIdOfAppToken('xoxb-1-2')).toBeUndefined();
    expect(appIdOfAppToken(undefined)).toBeUndefined();
  });
});
