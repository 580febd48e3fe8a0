import { createHmac, timingSafeEqual } from 'node:crypto';

/** Slack's allowed clock difference, both ways: an older or a future timestamp is refused. */
export const MAX_CLOCK_SKEW_SECONDS = 5 * 60;

export type SignatureCheck = { ok: true; timestampSec: number } | { ok: false; reason: string };

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret (Slack's request signing, v0). */
export function slackSignature(signingSecret: string, timestampSec: number | string, rawBody: Buffer | string): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${timestampSec}:`);
  hmac.update(rawBody);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * Verifies a request from Slack over its raw bytes, before anything parses them. Unlike Bolt's
 * verifier it refuses timestamps in the future as well as stale ones (a captured request must not
 * stay replayable because the sender's clock, or a forger, says "later").
 */
export function verifySlackSignature(input: {
  signingSecret: string;
  rawBody: Buffer;
  signature: string | string[] | undefined;
  timestamp: string | string[] | undefined;
  nowMs: number;
}): SignatureCheck {
  if (!input.signingSecret) return { ok: false, reason: 'no signing secret configured' };
  if (typeof input.signature !== 'string' || typeof input.timestamp !== 'string') {
    return { ok: false, reason: 'missing or repeated x-slack-signature / x-slack-request-timestamp header' };
  }
  if (!/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: 'malformed x-slack-request-timestamp' };
  const timestampSec = Number(input.timestamp);
  const skew = Math.floor(input.nowMs / 1000) - timestampSec;
  if (skew > MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: `timestamp ${skew}s old (stale or replayed)` };
  if (skew < -MAX_CLOCK_SKEW_SECONDS) return { ok: false, reason: `timestamp ${-skew}s in the future` };
  if (!/^v0=[0-9a-f]{64}$/.test(input.signature)) return { ok: false, reason: 'malformed signature (expected v0=<64 hex>)' };
  const expected = Buffer.from(slackSignature(input.signingSecret, input.timestamp, input.rawBody), 'latin1');
  const given = Buffer.from(input.signature, 'latin1');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: 'signature mismatch' };
  return { ok: true, timestampSec };
}
