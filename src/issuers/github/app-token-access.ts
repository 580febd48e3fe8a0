import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { IssueReceipt } from '../../core/domain/access-request.js';
import { IssuerError, type GrantContext, type IssueResult } from '../../core/ports/issuer.js';
import type { GitHubApi } from './github-api.js';
import { formatTimestamp } from '../../core/domain/timestamp.js';
import { statusOf, toIssuerError } from './github-errors.js';
import { APP_TOKEN_MAX_MS, type AppTokenParams } from './github-schemas.js';
import type { IssuerState } from '../../core/ports/issuer.js';

/**
 * A retried issue hands out the token it already minted for the grant while that token lives to
 * within this much of the window's end (a window of an hour can never be covered fully by a token
 * minted after it started); otherwise it mints a new one.
 */
const REUSE_SLACK_MS = 5 * 60_000;

const StoredTokensSchema = z.object({
  tokens: z.array(z.object({ sealed: z.string(), sha256: z.string(), expiresAt: z.number(), installationId: z.number() })),
});
type StoredTokens = z.infer<typeof StoredTokensSchema>;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * AES-256-GCM for installation tokens waiting to be revoked: `DELETE /installation/token` must be
 * called with the token itself, so jitbot keeps it, sealed, beside the issuer's state (never in
 * Redis, the audit trail or a receipt).
 */
class TokenSealer {
  readonly #file: string;
  #key: Buffer | undefined;

  constructor(dir: string) {
    this.#file = path.join(dir, 'app-token.key');
  }

  async seal(plain: string): Promise<string> {
    const key = await this.#loadKey();
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  async open(sealed: string): Promise<string> {
    const key = await this.#loadKey();
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('not a sealed token');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  async #loadKey(): Promise<Buffer> {
    if (this.#key) return this.#key;
    await mkdir(path.dirname(this.#file), { recursive: true, mode: 0o700 });
    try {
      await writeFile(this.#file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    this.#key = Buffer.from((await readFile(this.#file, 'utf8')).trim(), 'hex');
    return this.#key;
  }
}

/**
 * `mode: app-token`: an installation token of jitbot's App, narrowed to the grant's repositories and
 * permissions, delivered to the requester, and revoked with `DELETE /installation/token` at the end.
 * Issuing again for the same grant hands out the same token while it outlives the window.
 */
export class AppTokenAccess {
  readonly #api: GitHubApi;
  readonly #state: IssuerState;
  readonly #issuerName: string;
  readonly #sealer: TokenSealer;
  readonly #now: () => number;

  constructor(api: GitHubApi, state: IssuerState, issuerName: string, stateDir: string, now: () => number = Date.now) {
    this.#api = api;
    this.#state = state;
    this.#issuerName = issuerName;
    this.#sealer = new TokenSealer(stateDir);
    this.#now = now;
  }

  async issue(grant: GrantContext, params: AppTokenParams): Promise<IssueResult> {
    const windowMs = grant.window.end - grant.window.start;
    if (windowMs > APP_TOKEN_MAX_MS) {
      throw new IssuerError(`a GitHub App installation token lives at most 1 hour; this grant's window is ${Math.round(windowMs / 60_000)} minutes — ask for 1h or less`, false);
    }
    if (!this.#api.isApp) throw new IssuerError('mode: app-token needs the issuer to authenticate as a GitHub App (settings.app)', false);
    const owner = params.repositories[0]!.split('/')[0]!;
    const names = params.repositories.map((r) => r.split('/')[1]!);
    return this.#state.withLock(this.#key(grant.grantId), async (slot) => {
      const stored = await this.#read(slot);
      const now = this.#now();
      let token: string | undefined;
      let expiresAt = 0;
      let installationId = 0;
      for (const kept of stored.tokens) {
        if (kept.expiresAt <= now || kept.expiresAt < grant.window.end - REUSE_SLACK_MS) continue;
        try {
          token = await this.#sealer.open(kept.sealed);
          ({ expiresAt, installationId } = kept);
          break;
        } catch {
          // A key that changed: this one cannot be reused (nor revoked); mint another.
        }
      }
      if (token === undefined) {
        installationId = await this.#api.installationFor(owner, { repo: names[0] }, 'minting a token');
        const minted = await this.#api.asApp<{ token: string; expires_at: string }>(
          'POST /app/installations/{installation_id}/access_tokens',
          { installation_id: installationId, repositories: names, permissions: params.permissions },
          `minting an installation token for ${params.repositories.join(', ')}`,
        );
        token = minted.data.token;
        expiresAt = Date.parse(minted.data.expires_at);
        stored.tokens.push({ sealed: await this.#sealer.seal(token), sha256: sha256(token), expiresAt, installationId });
        await slot.write(stored);
      }
      const permissions = Object.entries(params.permissions)
        .map(([k, v]) => `${k}: ${v}`)
        .join(', ');
      const expires = formatTimestamp(expiresAt);
      const receipt: IssueReceipt = {
        summary: `a GitHub App installation token for ${params.repositories.join(', ')} (${permissions}), valid until ${expires}`,
        details: { repositories: params.repositories.join(', '), permissions, expires, 'token sha256': sha256(token) },
        revokeState: { kind: 'app-token', installationId, tokenSha256: sha256(token), expiresAt },
      };
      return { receipt, secret: { label: 'GitHub installation token', value: token } };
    });
  }

  /** Revokes every token minted for the grant; one already expired or revoked (401) counts as done. */
  async revoke(grant: GrantContext): Promise<void> {
    await this.#state.withLock(this.#key(grant.grantId), async (slot) => {
      const stored = await this.#read(slot);
      const left: StoredTokens['tokens'] = [];
      for (const kept of stored.tokens) {
        if (kept.expiresAt <= this.#now()) continue;
        let token: string;
        try {
          token = await this.#sealer.open(kept.sealed);
        } catch {
          continue; // cannot be opened any more: it dies at its expiry, within the hour
        }
        try {
          await this.#api.withToken(token, 'DELETE /installation/token', {});
        } catch (error) {
          if (statusOf(error) === 401) continue;
          left.push(kept);
          await slot.write({ tokens: left.concat(stored.tokens.slice(stored.tokens.indexOf(kept) + 1)) });
          throw toIssuerError(error, `revoking the installation token of ${grant.grantId}`);
        }
      }
      await slot.write(undefined);
    });
  }

  /** Whether a token of the grant still works (a cheap call with it: 200 live, 401 gone). */
  async verify(grant: GrantContext): Promise<boolean> {
    const stored = await this.#state.withLock(this.#key(grant.grantId), (slot) => this.#read(slot));
    for (const kept of stored.tokens) {
      if (kept.expiresAt <= this.#now()) continue;
      try {
        await this.#api.withToken(await this.#sealer.open(kept.sealed), 'GET /installation/repositories', { per_page: 1 });
        return true;
      } catch (error) {
        if (statusOf(error) === 401) continue;
        throw toIssuerError(error, `checking the installation token of ${grant.grantId}`);
      }
    }
    return false;
  }

  async #read(slot: { read(): Promise<unknown> }): Promise<StoredTokens> {
    const raw = await slot.read();
    if (raw === undefined) return { tokens: [] };
    const parsed = StoredTokensSchema.safeParse(raw);
    return parsed.success ? parsed.data : { tokens: [] };
  }

  #key(grantId: string): string {
    return `github:${this.#issuerName}:app-token:${grantId}`;
  }
}
