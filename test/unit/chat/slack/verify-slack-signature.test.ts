import { describe, expect, it } from 'vitest';
import { slackSignature, verifySlackSignature } from '../../../../src/chat/slack/verify-slack-signature.js';

// Slack's documented example (api.slack.com "Verifying requests from Slack").
const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const TS = 1531420618;
const BODY =
  'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
const EXPECTED = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';

const check = (overrides: Partial<Parameters<typeof verifySlackSignature>[0]> = {}) =>
  verifySlackSignature({ signingSecret: SECRET, rawBody: Buffer.from(BODY), signature: EXPECTED, timestamp: String(TS), nowMs: TS * 1000, ...overrides });

describe('Slack request signatures', () => {
  it('computes Slack’s documented example signature', () => {
    expect(slackSignature(SECRET, TS, BODY)).toBe(EXPECTED);
    expect(check()).toEqual({ ok: true, timestampSec: TS });
  });

  it('accepts up to 5 minutes of clock difference either way', () => {
    expect(check({ nowMs: (TS + 300) * 1000 }).ok).toBe(true);
    expect(check({ nowMs: (TS - 300) * 1000 }).ok).toBe(true);
  });

  it.each([
    ['a stale timestamp (301 s old)', { nowMs: (TS + 301) * 1000 }, /old/],
    ['a timestamp 301 s in the future', { nowMs: (TS - 301) * 1000 }, /future/],
    ['a timestamp a day in the future', { nowMs: (TS - 86_400) * 1000 }, /future/],
    ['a forged signature', { signature: `v0=${'0'.repeat(64)}` }, /mismatch/],
    ['a signature over another body', { rawBody: Buffer.from(`${BODY}&x=1`) }, /mismatch/],
    ['another secret', { signingSecret: 'another-secret' }, /mismatch/],
    ['a v1 signature', { signature: EXPECTED.replace('v0=', 'v1=') }, /malformed signature/],
    ['a truncated signature', { signature: EXPECTED.slice(0, 40) }, /malformed signature/],
    ['an uppercase hex signature', { signature: EXPECTED.toUpperCase().replace('V0=', 'v0=') }, /malformed signature/],
    ['no signature', { signature: undefined }, /missing/],
    ['no timestamp', { timestamp: undefined }, /missing/],
    ['a repeated signature header', { signature: [EXPECTED, EXPECTED] }, /repeated/],
    ['a non-numeric timestamp', { timestamp: '1e9' }, /malformed/],
    ['a negative timestamp', { timestamp: '-1531420618' }, /malformed/],
    ['an empty secret', { signingSecret: '' }, /no signing secret/],
  ])('refuses %s', (_label, overrides, reason) => {
    const result = check(overrides as Partial<Parameters<typeof verifySlackSignature>[0]>);
    expect(result.ok).toBe(false);
    if (result.ok) throw new Error('accepted');
    expect(result.reason).toMatch(reason);
  });
});
