import { describe, expect, it } from 'vitest';
import { isSlackResponseUrl } from '../../../../src/chat/slack/response-url.js';

describe('response_url hosts', () => {
  it.each([
    'https://hooks.slack.com/commands/T1/1/abc',
    'https://hooks.slack.com/actions/T1/1/abc',
    'https://hooks.slack-gov.com/commands/T1/1/abc',
    'https://HOOKS.SLACK.COM/app/x',
  ])('accepts %s', (url) => expect(isSlackResponseUrl(url)).toBe(true));

  it.each([
    'http://hooks.slack.com/commands/T1/1/abc',
    'https://hooks.slack.com:8443/commands/T1',
    'https://hooks.slack.com.evil.example/commands',
    'https://evilslack.com/commands',
    'https://user:pw@hooks.slack.com/commands',
    'https://127.0.0.1/commands',
    'not a url',
    '',
  ])('refuses %s', (url) => expect(isSlackResponseUrl(url)).toBe(false));

  it('accepts the exact origin of SLACK_API_URL and nothing else on that host', () => {
    expect(isSlackResponseUrl('http://127.0.0.1:4000/response/x', 'http://127.0.0.1:4000/api/')).toBe(true);
    expect(isSlackResponseUrl('http://127.0.0.1:4001/response/x', 'http://127.0.0.1:4000/api/')).toBe(false);
    expect(isSlackResponseUrl('http://localhost:4000/response/x', 'http://127.0.0.1:4000/api/')).toBe(false);
    expect(isSlackResponseUrl('https://hooks.slack.com/x', 'http://127.0.0.1:4000/api/')).toBe(true);
  });
});
