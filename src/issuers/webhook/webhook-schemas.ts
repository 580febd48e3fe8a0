import { z } from 'zod';

/** A Standard Webhooks symmetric secret: `whsec_` + base64 of 24 to 64 random bytes. */
export const WebhookSecretSchema = z.string().refine((secret) => {
  const match = /^whsec_([A-Za-z0-9+/=]+)$/.exec(secret);
  if (!match) return false;
  const bytes = Buffer.from(match[1]!, 'base64').length;
  return bytes >= 24 && bytes <= 64;
}, 'a Standard Webhooks secret: "whsec_" followed by base64 of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))');

/** One secret, or several while rotating (every one signs; the receiver accepts any). */
const SecretsSchema = z.union([WebhookSecretSchema, z.array(WebhookSecretSchema).min(1)]);

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
const EndpointSchema = z.url({ protocol: /^https?$/, error: 'an http(s) URL' }).refine((value) => {
  const url = new URL(value);
  return url.protocol === 'https:' || LOOPBACK.has(url.hostname);
}, 'use https (plain http only to a loopback address)');

/**
 * Settings of a `webhook` issuer (its entry under `issuers:` in the policy, minus `type`). `url` and
 * `secret` here are defaults for every resource; a resource's params may name its own.
 *
 * ```yaml
 * issuers:
 *   access-hook:
 *     type: webhook
 *     url: https://hooks.example.com/jitbot
 *     secret: ${ACCESS_HOOK_SECRET}      # whsec_…; a list while rotating
 * ```
 */
export const WebhookSettingsSchema = z
  .object({
    url: EndpointSchema.optional(),
    secret: SecretsSchema.optional(),
    /** How long the receiver may take to answer one request (default 10 s). */
    timeoutMs: z.number().int().min(100).max(60_000).default(10_000),
    /** After a 202 with a status URL: how often to ask (default 2 s, or the receiver's Retry-After). */
    pollIntervalMs: z.number().int().min(10).max(60_000).default(2_000),
    /** …and for how long before the attempt counts as failed and is retried (default 30 s). */
    pollTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
  })
  .strict();
export type WebhookSettings = z.infer<typeof WebhookSettingsSchema>;

/** A resource's `params` for a `webhook` issuer: where to send (if not the issuer's), and what to pass on. */
export const WebhookParamsSchema = z
  .object({
    url: EndpointSchema.optional(),
    secret: SecretsSchema.optional(),
    /** Passed to the receiver as `data.grant.params`: what to grant (a role, a group, an environment…). */
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type WebhookParams = z.infer<typeof WebhookParamsSchema>;
