import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks 1.0 symmetric signing: the key is the base64 after `whsec_`; the signed content
 * is `{webhook-id}.{webhook-timestamp}.{body}`; the signature is `v1,` + base64(HMAC-SHA256). Several
 * secrets (rotation) give several signatures, space-separated.
 */
export function secretKey(secret: string): Buffer {
  return Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
}

export function signature(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((secret) => `v1,${createHmac('sha256', secretKey(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`).join(' ');
}

/** The three Standard Webhooks headers for one attempt. */
export function webhookHeaders(secrets: readonly string[], id: string, timestampSeconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signature(secrets, id, timestampSeconds, body),
  };
}

/**
 * A message id that is the same for every attempt of one event (so receivers can deduplicate) and
 * differs between events, endpoints and jitbot installations: derived from the event and the current
 * secret, never random, so any jitbot process retrying it sends the same id.
 */
export function messageId(secret: string, event: string): string {
  return `msg_${createHmac('sha256', secretKey(secret)).update(`jitbot-message-id:${event}`).digest('base64url').slice(0, 27)}`;
}
