import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { IssueReceipt } from '../../core/domain/access-request.js';
import { IssuerError, StateLockTimeout, type GrantContext, type IssueResult, type Issuer, type IssuerEnvironment, type IssuerFactory, type IssuerState, type StateSlot } from '../../core/ports/issuer.js';
import { formatTimestamp } from '../../core/domain/timestamp.js';
import { VaultHttp, vaultErrors, vaultFailure } from './vault-http.js';
import { VaultParamsSchema, VaultSettingsSchema, type VaultParams, type VaultSettings } from './vault-schemas.js';

export { VaultParamsSchema, VaultSettingsSchema, type VaultParams, type VaultSettings } from './vault-schemas.js';

/**
 * What the issuer remembers per grant, never the token itself: the accessors of tokens it made, and
 * whether a create call is (or was, when its answer got lost) in flight — then a token may exist
 * that only its metadata can find.
 */
const JournalSchema = z.object({ accessors: z.array(z.string()), pending: z.boolean() });
type Journal = z.infer<typeof JournalSchema>;

export interface VaultIssuerOptions {
  state?: IssuerState;
  now?: () => number;
}

interface CreatedToken {
  client_token: string;
  accessor: string;
  policies?: string[];
  lease_duration?: number;
}

const isGone = (status: number, errors: string): boolean => status === 400 && /invalid accessor|no token found/i.test(errors);

/**
 * The `vault` issuer: an orphan token per grant with the resource's policies, `ttl` and
 * `explicit_max_ttl` set to the window (so Vault ends it even if jitbot cannot), metadata naming the
 * grant, revoked by accessor. The token goes to the requester's DM; jitbot keeps only its accessor.
 */
export class VaultIssuer implements Issuer<VaultParams> {
  readonly type = 'vault';
  readonly #settings: VaultSettings;
  readonly #http: VaultHttp;
  readonly #state: IssuerState;
  readonly #now: () => number;
  #token: string | undefined;

  constructor(
    readonly name: string,
    settings: VaultSettings,
    http: VaultHttp,
    state: IssuerState,
    now: () => number = Date.now,
  ) {
    this.#settings = settings;
    this.#http = http;
    this.#state = state;
    this.#now = now;
    this.#token = settings.token;
  }

  /**
   * Creates the grant's token. Idempotent: a token made by an earlier attempt for the same grant
   * (whose answer was lost, or never delivered) is revoked once the new one exists, so one stays live.
   */
  async issue(grant: GrantContext<VaultParams>): Promise<IssueResult> {
    return this.#create(grant, grant.params, undefined);
  }

  /** The window was extended: `explicit_max_ttl` cannot grow, so a new token replaces the old one. */
  async extend(grant: GrantContext<VaultParams>, receipt: IssueReceipt): Promise<IssueResult> {
    return this.#create(grant, grant.params, receipt);
  }

  async revoke(grant: GrantContext, receipt: IssueReceipt | undefined): Promise<void> {
    await this.#locked(grant, async (slot) => {
      const journal = await this.#journal(slot);
      const accessors = new Set(journal.accessors);
      const fromReceipt = receipt?.revokeState.accessor;
      if (typeof fromReceipt === 'string') accessors.add(fromReceipt);
      for (const accessor of accessors) await this.#revokeAccessor(accessor, grant);
      if (journal.pending) await this.#revokeLost(grant);
      await slot.write(undefined);
    });
  }

  /** Whether the grant's token is still live (lookup by accessor: 200 live, 400 "invalid accessor" gone). */
  async verify(grant: GrantContext, receipt: IssueReceipt): Promise<boolean> {
    const accessor = receipt.revokeState.accessor;
    if (typeof accessor !== 'string') return false;
    const doing = `looking up the token of ${grant.grantId}`;
    const answer = await this.#call('POST', `auth/${this.#settings.mount}/lookup-accessor`, { accessor }, doing);
    if (answer.status === 200) {
      const ttl = answer.body?.data?.ttl;
      return typeof ttl !== 'number' || ttl > 0;
    }
    if (isGone(answer.status, vaultErrors(answer))) return false;
    throw vaultFailure(answer, doing);
  }

  async #create(grant: GrantContext, params: VaultParams, previous: IssueReceipt | undefined): Promise<IssueResult> {
    const seconds = Math.ceil((grant.window.end - this.#now()) / 1000);
    if (seconds < 1) throw new IssuerError(`the grant's window has already ended; no token is made`, false);
    return this.#locked(grant, async (slot) => {
      const journal = await this.#journal(slot);
      const notes: string[] = [];
      const old = new Set(journal.accessors);
      const fromReceipt = previous?.revokeState.accessor;
      if (typeof fromReceipt === 'string') old.add(fromReceipt);
      if (journal.pending) {
        const lost = await this.#revokeLost(grant);
        if (lost === 'forbidden') notes.push('an earlier attempt may have made a token that jitbot could not find (its Vault token may not list accessors); that token ends at the window end');
      }
      await slot.write({ accessors: [...old], pending: true } satisfies Journal);

      const path = this.#settings.role ? `auth/${this.#settings.mount}/create/${this.#settings.role}` : `auth/${this.#settings.mount}/create-orphan`;
      const doing = `creating a token for ${grant.grantId}`;
      const answer = await this.#call('POST', path, this.#tokenRequest(grant, params, seconds), doing);
      const auth = answer.body?.auth as CreatedToken | null | undefined;
      if (answer.status !== 200 || !auth?.client_token || !auth.accessor) {
        // A definite refusal made nothing; an answer we cannot read may hide a token: keep `pending`.
        if (answer.status >= 400 && answer.status < 500) await slot.write({ accessors: [...old], pending: false } satisfies Journal);
        throw answer.status === 200 ? new IssuerError(`Vault's answer to ${doing} had no token`, true) : vaultFailure(answer, doing);
      }
      await slot.write({ accessors: [auth.accessor, ...old], pending: false } satisfies Journal);
      for (const accessor of old) if (accessor !== auth.accessor) await this.#revokeAccessor(accessor, grant);
      await slot.write({ accessors: [auth.accessor], pending: false } satisfies Journal);

      const expires = formatTimestamp(this.#now() + seconds * 1000);
      const warnings = (answer.body?.warnings ?? []).filter((w) => typeof w === 'string');
      const details: Record<string, string> = { accessor: auth.accessor, policies: params.policies.join(', '), expires };
      if (this.#settings.namespace) details.namespace = this.#settings.namespace;
      if (warnings.length > 0) details['vault warnings'] = warnings.join('; ');
      if (notes.length > 0) details.note = notes.join('; ');
      const receipt: IssueReceipt = {
        summary: `a Vault token with ${params.policies.join(', ')} until ${expires}`,
        details,
        revokeState: { accessor: auth.accessor, ...(this.#settings.namespace ? { namespace: this.#settings.namespace } : {}) },
      };
      return { receipt, secret: { label: 'Vault token', value: auth.client_token } };
    });
  }

  /** The token to create: the resource's policies, metadata naming the grant, and a TTL that cannot outlive the window. */
  #tokenRequest(grant: GrantContext, params: VaultParams, seconds: number): Record<string, unknown> {
    return {
      policies: params.policies,
      meta: {
        ...params.meta,
        jitbot_grant: grant.grantId,
        jitbot_issuer: this.name,
        jitbot_person: grant.person.name,
        jitbot_resource: grant.resource,
      },
      no_parent: true,
      no_default_policy: params.noDefaultPolicy,
      renewable: false,
      ttl: `${seconds}s`,
      explicit_max_ttl: `${seconds}s`,
      num_uses: params.numUses,
      display_name: `jit-${grant.grantId}`,
      type: 'service',
    };
  }

  async #revokeAccessor(accessor: string, grant: GrantContext): Promise<void> {
    const doing = `revoking the token of ${grant.grantId}`;
    const answer = await this.#call('POST', `auth/${this.#settings.mount}/revoke-accessor`, { accessor }, doing);
    // 204, or 200 with the warning "No token found with this accessor": both mean it is gone.
    if (answer.status === 200 || answer.status === 204) return;
    if (isGone(answer.status, vaultErrors(answer))) return;
    throw vaultFailure(answer, doing);
  }

  /**
   * Finds tokens of this grant whose accessor jitbot never learnt (a create whose answer was lost)
   * by their `jitbot_grant` metadata, and revokes them. 'forbidden' when jitbot may not list accessors.
   */
  async #revokeLost(grant: GrantContext): Promise<number | 'forbidden'> {
    if (!this.#settings.findLostTokens) return 'forbidden';
    const doing = `looking for a lost token of ${grant.grantId}`;
    const list = await this.#call('GET', `auth/${this.#settings.mount}/accessors?list=true`, undefined, doing);
    if (list.status === 403) return 'forbidden';
    if (list.status === 404) return 0;
    if (list.status !== 200) throw vaultFailure(list, doing);
    const keys = list.body?.data?.keys;
    let revoked = 0;
    for (const accessor of Array.isArray(keys) ? keys : []) {
      if (typeof accessor !== 'string') continue;
      const lookup = await this.#call('POST', `auth/${this.#settings.mount}/lookup-accessor`, { accessor }, doing);
      if (lookup.status !== 200) continue;
      const meta = lookup.body?.data?.meta as Record<string, unknown> | null | undefined;
      if (meta?.jitbot_grant === grant.grantId && meta.jitbot_issuer === this.name) {
        await this.#revokeAccessor(accessor, grant);
        revoked += 1;
      }
    }
    return revoked;
  }

  async #call(method: string, path: string, body: unknown, doing: string) {
    return this.#http.call(method, path, await this.#botToken(), body, doing);
  }

  async #botToken(): Promise<string> {
    if (this.#token !== undefined) return this.#token;
    try {
      // Read each time it is needed until read once: a sidecar may write it after jitbot starts.
      this.#token = (await readFile(this.#settings.tokenFile!, 'utf8')).trim();
      return this.#token;
    } catch (error) {
      throw new IssuerError(`cannot read jitbot's Vault token from ${this.#settings.tokenFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, true, { cause: error });
    }
  }

  async #journal(slot: StateSlot): Promise<Journal> {
    const parsed = JournalSchema.safeParse(await slot.read());
    return parsed.success ? parsed.data : { accessors: [], pending: false };
  }

  async #locked<T>(grant: GrantContext, fn: (slot: StateSlot) => Promise<T>): Promise<T> {
    try {
      return await this.#state.withLock(`vault:${this.name}:${grant.grantId}`, fn);
    } catch (error) {
      if (error instanceof IssuerError) throw error;
      if (error instanceof StateLockTimeout) throw new IssuerError(`vault issuer ${this.name}: another jitbot process is working on ${grant.grantId}; trying again`, true, { cause: error });
      const code = (error as NodeJS.ErrnoException | undefined)?.code;
      throw new IssuerError(`vault issuer ${this.name}: state storage failed${code ? ` (${code})` : ''}`, true, { cause: error });
    }
  }
}

/** Builds a `vault` issuer; its journal lives under `<env.dataDir>/vault/<name>`. */
export async function createVaultIssuer(name: string, settings: VaultSettings, env: IssuerEnvironment, options: VaultIssuerOptions = {}): Promise<VaultIssuer> {
  if (path.basename(name) !== name || name === '.' || name === '..') throw new IssuerError(`"${name}" cannot name a vault issuer's state directory`, false);
  const s = settings;
  let ca: string | undefined;
  if (s.caFile) {
    try {
      ca = await readFile(s.caFile, 'utf8');
    } catch (error) {
      throw new IssuerError(`vault issuer ${name}: cannot read caFile ${s.caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`, false, { cause: error });
    }
  }
  const http = new VaultHttp({ address: s.address, namespace: s.namespace, ca, serverName: s.serverName, timeoutMs: s.timeoutMs });
  const state = options.state ?? env.state;
  if (!state) throw new IssuerError(`vault issuer ${name} needs jitbot's shared state (the journal of created tokens)`, false);
  return new VaultIssuer(name, s, http, state, options.now);
}

/** `vault`: an orphan token per grant (policies, ttl = explicit_max_ttl = the window), revoked by accessor. */
export const vaultIssuerFactory: IssuerFactory<VaultSettings, VaultParams> = {
  type: 'vault',
  settingsSchema: VaultSettingsSchema,
  paramsSchema: VaultParamsSchema,
  create: (name, settings, env) => createVaultIssuer(name, settings, env),
};
