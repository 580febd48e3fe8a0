import { createHash, createHmac } from 'node:crypto';

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
 * A message id that is the same for every attempt of one event, from any jitbot process, before and
 * after a secret rotation (so receivers can deduplicate across it), and differs between events and
 * endpoints. Derived from what names the event (issuer, grant, event type, endpoint, and the person
 * and resource, which makes two installations' `JIT-7` differ), never from a secret or randomness.
 */
export function messageId(event: readonly string[]): string {
  return `msg_${createHash('sha256').update(`jitbot-message-id\n${event.join('\n')}`).digest('base64url').slice(0, 27)}`;
}
