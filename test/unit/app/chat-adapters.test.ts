import { describe, expect, it } from 'vitest';
import type { RunMode } from '../../../src/app/chat-adapter.js';
import { builtinChatAdapters, configuredChatAdapters } from '../../../src/app/chat-adapters.js';
import { loadEnvironment } from '../../../src/config/environment.js';

const SLACK = { SLACK_BOT_TOKEN: 'xoxb-1-2-abc', SLACK_SIGNING_SECRET: 'signing-secret' };
const TEAMS = { TEAMS_APP_ID: 'app', TEAMS_APP_PASSWORD: 'password' };
const names = (env: NodeJS.ProcessEnv, mode: RunMode) => configuredChatAdapters(loadEnvironment(env), mode).map((a) => a.name);

describe('chat adapter registry', () => {
  it('knows Slack, Teams and the console, each once', () => {
    expect(builtinChatAdapters().map((a) => a.name)).toEqual(['Slack', 'Microsoft Teams', 'the console']);
  });

  it('runs the platforms whose variables are set, in every server mode', () => {
    for (const mode of ['start', 'web', 'worker'] as const) {
      expect(names({}, mode)).toEqual([]);
      expect(names(SLACK, mode)).toEqual(['Slack']);
      expect(names(TEAMS, mode)).toEqual(['Microsoft Teams']);
      expect(names({ ...SLACK, ...TEAMS }, mode)).toEqual(['Slack', 'Microsoft Teams']);
    }
  });

  it('runs only the console in `jitbot console`, whatever platforms are set', () => {
    expect(names({ ...SLACK, ...TEAMS }, 'console')).toEqual(['the console']);
    expect(names({}, 'console')).toEqual(['the console']);
  });

  it('says how to turn each platform on', () => {
    const ways = builtinChatAdapters().flatMap((a) => a.setup.map((s) => s.way));
    expect(ways).toEqual(['Slack over HTTP', 'Slack Socket Mode', 'Microsoft Teams']);
  });
});
