import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Json } from '../../../fakes/fake-slack.js';
import { SLACK_EVENTS_PATH } from '../../../../src/chat/slack/slack-http-receiver.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const load = (name: string) => parse(readFileSync(path.join(root, 'manifests/slack', name), 'utf8')) as Json;

describe('Slack app manifests', () => {
  it.each(['manifest.yaml', 'manifest.socket-mode.yaml'])('%s asks for the least scopes that work, and everything jitbot listens to', (name) => {
    const manifest = load(name);
    expect(manifest.oauth_config.scopes.bot).toEqual(['commands', 'chat:write', 'im:write']);
    expect(manifest.oauth_config.scopes.user).toBeUndefined();
    expect(manifest.features.slash_commands.map((c: { command: string }) => c.command)).toEqual(['/jit']);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.display_information.name.length).toBeLessThanOrEqual(35);
  });

  it('points every HTTP URL at POST /slack/events', () => {
    const manifest = load('manifest.yaml');
    const urls = [manifest.features.slash_commands[0].url, manifest.settings.event_subscriptions.request_url, manifest.settings.interactivity.request_url];
    for (const url of urls) expect(new URL(url).pathname).toBe(SLACK_EVENTS_PATH);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
    expect(manifest.display_information.long_description.length).toBeGreaterThanOrEqual(175);
  });

  it('has no URLs in Socket Mode', () => {
    const manifest = load('manifest.socket-mode.yaml');
    expect(manifest.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(manifest)).not.toContain('https://');
  });
});
