import { randomBytes } from 'node:crypto';
import { LoopbackServer, type FakeReply, type FakeRequest } from './fake-github-loopback.js';

/**
 * Vault's token auth method on loopback, as its API documentation and OpenBao's token store describe
 * it: `create-orphan` / `create/:role` → 200 with `auth`; `revoke-accessor` → 204, or 200 with the
 * warning "No token found with this accessor" when unknown; `lookup-accessor` → 200, or 400
 * `invalid accessor` when unknown, revoked or expired; `LIST accessors` needs sudo; 403 `permission
 * denied` for a wrong token or namespace; 503 `Vault is sealed`. Tokens expire at `explicit_max_ttl`.
 */

export interface FakeVaultToken {
  id: string;
  accessor: string;
  policies: string[];
  meta: Record<string, string>;
  displayName: string;
  orphan: boolean;
  renewable: boolean;
  numUses: number;
  createdAt: number;
  expiresAt: number;
  explicitMaxTtl: number;
  namespace: string;
  revoked: boolean;
}

const errors = (status: number, ...messages: string[]): FakeReply => ({ status, body: { errors: messages } });

/** Vault duration strings: `90s`, `15m`, `1h`, or a bare number of seconds. */
function seconds(value: unknown): number | undefined {
  if (value === undefined || value === '') return 0;
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+)(s|m|h)?$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * (match[2] === 'h' ? 3600 : match[2] === 'm' ? 60 : 1);
}

export class FakeVault {
  readonly server: LoopbackServer;
  /** Bot tokens this Vault accepts, and whether they have sudo on auth/token/accessors. */
  readonly botTokens = new Map<string, { sudo: boolean; namespace: string }>();
  readonly tokens = new Map<string, FakeVaultToken>();
  readonly policies = new Set(['default', 'deploy', 'read-secrets']);
  readonly roles = new Map<string, { orphan: boolean; allowedPolicies: string[] }>();
  sealed = false;
  clockOffsetMs = 0;

  constructor(options: { tls?: { key: string; cert: string } } = {}) {
    this.server = new LoopbackServer((req) => this.#handle(req), options);
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  async start(): Promise<string> {
    return this.server.start();
  }

  get url(): string {
    return this.server.url;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** Tokens that are live now (not revoked, not expired). */
  live(): FakeVaultToken[] {
    return [...this.tokens.values()].filter((t) => !t.revoked && t.expiresAt > this.now());
  }

  /** Live tokens whose metadata names the grant. */
  liveForGrant(grantId: string): FakeVaultToken[] {
    return this.live().filter((t) => t.meta.jitbot_grant === grantId);
  }

  #handle(req: FakeRequest): FakeReply {
    if (this.sealed) return errors(503, 'Vault is sealed');
    const token = req.headers['x-vault-token'];
    const bot = typeof token === 'string' ? this.botTokens.get(token) : undefined;
    const namespace = typeof req.headers['x-vault-namespace'] === 'string' ? req.headers['x-vault-namespace'].replace(/^\/|\/$/g, '') : '';
    if (!bot || bot.namespace !== namespace) return errors(403, 'permission denied');
    const path = req.path.replace(/^\/v1\//, '');
    const method = req.method === 'GET' && req.query.get('list') === 'true' ? 'LIST' : req.method;
    const body = (req.body ?? {}) as Record<string, unknown>;

    if (method === 'POST' && (path === 'auth/token/create-orphan' || path.startsWith('auth/token/create/'))) {
      const roleName = path.startsWith('auth/token/create/') ? path.slice('auth/token/create/'.length) : undefined;
      const role = roleName ? this.roles.get(roleName) : undefined;
      if (roleName && !role) return errors(400, `unknown role ${roleName}`);
      return this.#create(body, namespace, role ? role.orphan : true, role?.allowedPolicies);
    }
    if (method === 'POST' && path === 'auth/token/revoke-accessor') {
      if (typeof body.accessor !== 'string' || body.accessor === '') return errors(400, 'missing accessor');
      const found = this.#byAccessor(body.accessor, namespace);
      if (!found) return { status: 200, body: { request_id: randomBytes(8).toString('hex'), data: null, auth: null, warnings: ['No token found with this accessor'] } };
      found.revoked = true;
      return { status: 204 };
    }
    if (method === 'POST' && path === 'auth/token/lookup-accessor') {
      if (typeof body.accessor !== 'string' || body.accessor === '') return errors(400, 'missing accessor');
      const found = this.#byAccessor(body.accessor, namespace);
      if (!found) return errors(400, 'invalid accessor');
      const ttl = Math.max(0, Math.floor((found.expiresAt - this.now()) / 1000));
      return {
        status: 200,
        body: {
          data: {
            accessor: found.accessor,
            id: '',
            policies: found.policies,
            meta: found.meta,
            display_name: found.displayName,
            orphan: found.orphan,
            renewable: found.renewable,
            num_uses: found.numUses,
            ttl,
            creation_time: Math.floor(found.createdAt / 1000),
            expire_time: new Date(found.expiresAt).toISOString(),
            explicit_max_ttl: found.explicitMaxTtl,
            type: 'service',
          },
          warnings: null,
        },
      };
    }
    if (method === 'LIST' && path === 'auth/token/accessors') {
      if (!bot.sudo) return errors(403, 'permission denied');
      return { status: 200, body: { data: { keys: this.live().filter((t) => t.namespace === namespace).map((t) => t.accessor) } } };
    }
    return errors(404, `no handler for route "${path}"`);
  }

  #create(body: Record<string, unknown>, namespace: string, orphan: boolean, allowedPolicies: string[] | undefined): FakeReply {
    const ttl = seconds(body.ttl);
    const maxTtl = seconds(body.explicit_max_ttl);
    if (ttl === undefined) return errors(400, `error parsing ttl: invalid duration ${String(body.ttl)}`);
    if (maxTtl === undefined) return errors(400, `error parsing explicit_max_ttl: invalid duration ${String(body.explicit_max_ttl)}`);
    if (body.type === 'batch') return errors(400, 'batch tokens have no accessor; this fake serves service tokens');
    const requested = Array.isArray(body.policies) ? body.policies.map(String) : [];
    if (allowedPolicies && requested.some((p) => !allowedPolicies.includes(p))) return errors(400, 'token policies must be a subset of the role\'s allowed policies');
    const policies = [...new Set([...(body.no_default_policy === true ? [] : ['default']), ...requested])].sort();
    const warnings = requested.filter((p) => !this.policies.has(p)).map((p) => `Policy "${p}" does not exist`);
    const lease = Math.min(ttl || 768 * 3600, maxTtl || 768 * 3600);
    const meta = typeof body.meta === 'object' && body.meta !== null ? Object.fromEntries(Object.entries(body.meta).map(([k, v]) => [k, String(v)])) : {};
    const token: FakeVaultToken = {
      id: `hvs.${randomBytes(24).toString('base64url')}`,
      accessor: randomBytes(18).toString('base64url'),
      policies,
      meta,
      displayName: `token-${typeof body.display_name === 'string' ? body.display_name : ''}`,
      orphan,
      renewable: body.renewable !== false,
      numUses: typeof body.num_uses === 'number' ? body.num_uses : 0,
      createdAt: this.now(),
      expiresAt: this.now() + lease * 1000,
      explicitMaxTtl: maxTtl,
      namespace,
      revoked: false,
    };
    this.tokens.set(token.accessor, token);
    return {
      status: 200,
      body: {
        request_id: randomBytes(8).toString('hex'),
        lease_id: '',
        renewable: false,
        lease_duration: 0,
        data: null,
        warnings: warnings.length > 0 ? warnings : null,
        auth: {
          client_token: token.id,
          accessor: token.accessor,
          policies,
          token_policies: policies,
          metadata: meta,
          lease_duration: lease,
          renewable: token.renewable,
          entity_id: '',
          token_type: 'service',
          orphan,
        },
      },
    };
  }

  #byAccessor(accessor: string, namespace: string): FakeVaultToken | undefined {
    const t = this.tokens.get(accessor);
    return t && !t.revoked && t.expiresAt > this.now() && t.namespace === namespace ? t : undefined;
  }
}
