import { z } from 'zod';

/**
 * Settings of a `vault` issuer (its entry under `issuers:` in the policy, minus `type`).
 *
 * ```yaml
 * issuers:
 *   vault:
 *     type: vault
 *     address: https://vault.example.com:8200
 *     token: ${VAULT_TOKEN}            # or tokenFile: /var/run/secrets/vault-token
 *     namespace: team-a                # Vault Enterprise / HCP namespace (X-Vault-Namespace)
 *     caFile: /etc/jitbot/vault-ca.pem # trust this CA for the server's certificate
 *     serverName: vault.internal       # the name to expect in the certificate (SNI)
 * ```
 */
export const VaultSettingsSchema = z
  .object({
    address: z
      .url({ protocol: /^https?$/, error: 'address must be an http(s) URL such as https://vault.example.com:8200' })
      .transform((url) => url.replace(/\/+$/, '')),
    /** jitbot's own Vault token (needs create on auth/token/create-orphan, update on revoke-accessor and lookup-accessor). */
    token: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    namespace: z.string().min(1).optional(),
    /** Where the token auth method is mounted (default `token`, i.e. `auth/token`). */
    mount: z.string().regex(/^[A-Za-z0-9._/-]+$/, 'a mount path such as token').default('token'),
    /** A token role to create tokens against (`auth/token/create/<role>`; give the role `orphan: true`). */
    role: z.string().regex(/^[A-Za-z0-9._-]+$/, 'a token role name').optional(),
    caFile: z.string().min(1).optional(),
    serverName: z.string().min(1).optional(),
    /** How long one HTTP call may take (default 10 s). */
    timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
    /**
     * After an issue whose answer was lost, find the token it may have made by its metadata and revoke
     * it (needs `sudo` + `list` on auth/token/accessors). Default true; without the permission jitbot
     * says so in the receipt, and that token still ends at the window's end (`explicit_max_ttl`).
     */
    findLostTokens: z.boolean().default(true),
  })
  .strict()
  .refine((s) => (s.token === undefined) !== (s.tokenFile === undefined), { message: 'give exactly one of token or tokenFile' });
export type VaultSettings = z.infer<typeof VaultSettingsSchema>;

/** A resource's `params` for a `vault` issuer: the token's policies and extra metadata. */
export const VaultParamsSchema = z
  .object({
    policies: z.array(z.string().regex(/^[A-Za-z0-9._-]+$/, 'a Vault policy name')).min(1, 'name at least one policy'),
    /** Extra metadata on the token (shown in Vault's audit log); jitbot adds its own `jitbot_*` keys. */
    meta: z
      .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'a metadata key'), z.string())
      .refine((meta) => !Object.keys(meta).some((k) => k.startsWith('jitbot_')), 'keys starting with jitbot_ are set by jitbot')
      .optional(),
    /** Leave Vault's `default` policy off the token. */
    noDefaultPolicy: z.boolean().default(false),
    /** How many times the token may be used (0: unlimited). */
    numUses: z.number().int().min(0).default(0),
  })
  .strict();
export type VaultParams = z.infer<typeof VaultParamsSchema>;
