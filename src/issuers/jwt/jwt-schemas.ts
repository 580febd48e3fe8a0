import { z } from 'zod';

/**
 * Settings of a `jwt` issuer (its entry under `issuers:` in the policy, minus `type`).
 *
 * ```yaml
 * issuers:
 *   tokens:
 *     type: jwt
 *     issuer: https://jitbot.example.com     # the `iss` claim (default: jitbot)
 *     introspectionToken: ${JWT_INTROSPECTION_TOKEN}
 *     introspectionClientId: deploy-gate     # optional: the client id going with that secret (default: tokens)
 *     keyFile: /etc/jitbot/jwt-signing.pem   # optional: PKCS8 EC P-256; otherwise keys are made and kept
 *     audience: deploy-api                   # optional: `aud` for every token instead of the resource name
 * ```
 */
export const JwtSettingsSchema = z
  .object({
    issuer: z.string().min(1).default('jitbot'),
    /** The secret callers of `POST /v1/introspect` present: their client secret, or a bearer token. */
    introspectionToken: z.string().min(16, 'the introspection token must be at least 16 characters long'),
    /** Their `client_id` for `client_secret_basic` / `client_secret_post`; default: the issuer's name in the policy. */
    introspectionClientId: z.string().min(1).max(200).optional(),
    /** A PEM PKCS8 EC P-256 private key to sign with, instead of keys jitbot makes and keeps. */
    keyFile: z.string().min(1).optional(),
    /** The `aud` claim for every token; default: the resource's name. */
    audience: z.string().min(1).optional(),
  })
  .strict();
export type JwtSettings = z.infer<typeof JwtSettingsSchema>;

/**
 * Claims that jitbot sets itself and a resource may not override: the registered claims it fills in,
 * plus the two members the introspection response adds (`active`, `token_type`).
 */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set(['iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'active', 'token_type']);

const ClaimValueSchema = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

/** A resource's `params` for a `jwt` issuer: extra claims to put in the token. */
export const JwtParamsSchema = z
  .object({
    claims: z.record(z.string().min(1), ClaimValueSchema).optional(),
  })
  .strict()
  .superRefine((params, ctx) => {
    for (const name of Object.keys(params.claims ?? {})) {
      if (RESERVED_CLAIMS.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['claims', name],
          message: `"${name}" is set by jitbot and cannot be overridden (reserved: ${[...RESERVED_CLAIMS].join(', ')})`,
        });
      }
    }
  });
export type JwtParams = z.infer<typeof JwtParamsSchema>;
