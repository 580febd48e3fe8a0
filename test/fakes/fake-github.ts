import { createPublicKey, createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LoopbackServer, type FakeReply, type FakeRequest } from './fake-github-loopback.js';

/**
 * A GitHub REST API on loopback for the `github` issuer's tests, built from GitHub's own OpenAPI
 * description (npm @octokit/openapi): every route it serves must exist there, every status it answers
 * must be documented for that operation (or be one GitHub gives anywhere: 401, 403, 404, 429, 5xx —
 * otherwise it is recorded in `contractViolations`), and permission names and levels are checked
 * against the description's enums. State is real (collaborators, invitations, teams, installations,
 * tokens), so idempotency and "already gone" are exercised; faults come from {@link LoopbackServer}.
 */

type Spec = { paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown>; requestBody?: unknown }>>; components: { schemas: Record<string, { properties?: Record<string, { enum?: string[] }> }> } };

let cachedSpec: Spec | undefined;
function spec(): Spec {
  if (!cachedSpec) {
    const require = createRequire(import.meta.url);
    cachedSpec = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as Spec;
  }
  return cachedSpec;
}

const ROLE_ORDER = ['pull', 'triage', 'push', 'maintain', 'admin'];
/** Statuses GitHub may give on any route (auth, visibility, rate limits, outages). */
const ANYWHERE = new Set([401, 403, 404, 429, 500, 502, 503]);

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  documented: Set<number>;
  handle: (req: FakeRequest, params: Record<string, string>, auth: Caller) => FakeReply;
}

type Caller = { kind: 'pat'; token: string } | { kind: 'installation'; token: string; installationId: number } | { kind: 'app' } | { kind: 'none'; reason: string };

export interface FakeRepo {
  /** Direct collaborators and their roles. */
  direct: Map<string, string>;
  invitations: Map<number, { login: string; permission: string; createdAt: number }>;
  /** Invitations sent in the last 24 h (GitHub allows 50 per repository). */
  invitationsSent: number[];
}

export interface FakeOrg {
  members: Set<string>;
  /** The org's base repository role for members (none: null). */
  baseRole: string | null;
  customRoles: Set<string>;
  teams: Map<string, { members: Map<string, { role: string; state: 'active' | 'pending' }>; synced: boolean }>;
}

export interface FakeInstallationToken {
  installationId: number;
  expiresAt: number;
  repositories: string[] | 'all';
  permissions: Record<string, string>;
  revoked: boolean;
}

const documentation_url = 'https://docs.github.com/rest';
const error = (status: number, message: string, extra: Record<string, unknown> = {}): FakeReply => ({ status, body: { message, documentation_url, status: String(status), ...extra } });

export class FakeGitHub {
  readonly server: LoopbackServer;
  /** Tokens accepted as a person's/bot's PAT. */
  readonly pats = new Set<string>();
  readonly users = new Set<string>();
  readonly orgs = new Map<string, FakeOrg>();
  readonly repos = new Map<string, FakeRepo>();
  readonly installations = new Map<number, { owner: string; repositories: string[] | 'all'; permissions: Record<string, string> }>();
  readonly tokens = new Map<string, FakeInstallationToken>();
  readonly contractViolations: string[] = [];
  /** The App's id and private key (PEM): hand these to the issuer's settings. */
  readonly app: { appId: number; privateKey: string; publicKey: KeyObject };
  /** How long new installation tokens live (GitHub: one hour). */
  tokenLifetimeMs = 60 * 60_000;
  /** Shifts the fake's clock (token expiry, JWT checks). */
  clockOffsetMs = 0;
  rateLimit = { limit: 5000, used: 0, resetAt: Math.floor(Date.now() / 1000) + 3600 };
  #nextId = 1000;
  readonly #routes: Route[] = [];

  /** `/api/v3` serves the API under that prefix, as GitHub Enterprise Server does. */
  constructor(readonly options: { pathPrefix?: string } = {}) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.app = { appId: 4242, privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey: createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })) };
    this.#defineRoutes();
    this.server = new LoopbackServer((req) => this.#handle(req));
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  async start(): Promise<string> {
    return this.server.start();
  }

  /** The API's base URL (what `baseUrl` should be). */
  get url(): string {
    return `${this.server.url}${this.options.pathPrefix ?? ''}`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  // ---- setting the scene ----

  addOrg(name: string, options: { baseRole?: string | null; members?: string[]; customRoles?: string[] } = {}): FakeOrg {
    const org: FakeOrg = { members: new Set(options.members ?? []), baseRole: options.baseRole ?? null, customRoles: new Set(options.customRoles ?? []), teams: new Map() };
    for (const m of org.members) this.users.add(m);
    this.orgs.set(name.toLowerCase(), org);
    return org;
  }

  addRepo(fullName: string): FakeRepo {
    const repo: FakeRepo = { direct: new Map(), invitations: new Map(), invitationsSent: [] };
    this.repos.set(fullName.toLowerCase(), repo);
    return repo;
  }

  addTeam(org: string, slug: string, options: { synced?: boolean } = {}): void {
    this.orgs.get(org.toLowerCase())!.teams.set(slug.toLowerCase(), { members: new Map(), synced: options.synced ?? false });
  }

  addInstallation(id: number, owner: string, permissions: Record<string, string>, repositories: string[] | 'all' = 'all'): void {
    this.installations.set(id, { owner: owner.toLowerCase(), repositories, permissions });
  }

  /** The person accepts their pending invitation to `repo` (as `PATCH /user/repository_invitations/{id}` would). */
  acceptInvitation(repoName: string, login: string): void {
    const repo = this.repos.get(repoName.toLowerCase())!;
    for (const [id, inv] of repo.invitations) {
      if (inv.login.toLowerCase() === login.toLowerCase()) {
        repo.invitations.delete(id);
        repo.direct.set(login.toLowerCase(), inv.permission);
      }
    }
  }

  /** The person's effective role on a repository (highest of direct role and the org's base role for members), or null. */
  effectiveRole(repoName: string, login: string): string | null {
    const repo = this.repos.get(repoName.toLowerCase());
    if (!repo) return null;
    const org = this.orgs.get(repoName.split('/')[0]!.toLowerCase());
    const roles = [repo.direct.get(login.toLowerCase()) ?? null, org?.members.has(login.toLowerCase()) ? org.baseRole : null].filter((r): r is string => r !== null);
    let best: string | null = null;
    for (const r of roles) if (best === null || ROLE_ORDER.indexOf(r) > ROLE_ORDER.indexOf(best)) best = r;
    return best;
  }

  /** A live (unexpired, unrevoked) installation token. */
  tokenIsLive(token: string): boolean {
    const t = this.tokens.get(token);
    return t !== undefined && !t.revoked && t.expiresAt > this.now();
  }

  /** Rate-limit answers as GitHub gives them: `primary` (403, remaining 0, reset), `secondary` (403 + retry-after) or `429`. */
  rateLimited(kind: 'primary' | 'secondary' | '429', options: { seconds?: number; times?: number; method?: string; path?: RegExp } = {}): () => void {
    const seconds = options.seconds ?? 30;
    const reset = Math.floor(this.now() / 1000) + seconds;
    const base = { 'x-ratelimit-limit': '5000', 'x-ratelimit-used': '5000', 'x-ratelimit-resource': 'core' };
    const reply: FakeReply =
      kind === 'primary'
        ? { status: 403, headers: { ...base, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, body: { message: 'API rate limit exceeded for installation ID 1.', documentation_url } }
        : kind === 'secondary'
          ? { status: 403, headers: { 'retry-after': String(seconds) }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url } }
          : { status: 429, headers: { 'retry-after': String(seconds) }, body: { message: 'Too many requests', documentation_url } };
    return this.server.fault({ kind: 'status', reply, times: options.times ?? 1, ...(options.method ? { method: options.method } : {}), ...(options.path ? { path: options.path } : {}) });
  }

  // ---- the API ----

  #route(method: string, template: string, handle: Route['handle']): void {
    const operation = spec().paths[template]?.[method.toLowerCase()];
    if (!operation) throw new Error(`fake GitHub: ${method} ${template} is not in GitHub's OpenAPI description`);
    const names: string[] = [];
    const pattern = new RegExp(`^${template.replace(/\{([^}]+)\}/g, (_m, name: string) => (names.push(name), '([^/]+)'))}$`);
    const documented = new Set(Object.keys(operation.responses).map(Number));
    this.#routes.push({
      method,
      template,
      pattern,
      documented,
      handle: (req, _params, auth) => {
        const match = pattern.exec(req.path)!;
        const params = Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(match[i + 1]!)]));
        return handle(req, params, auth);
      },
    });
  }

  #enum(schema: string, property: string): string[] | undefined {
    return spec().components.schemas[schema]?.properties?.[property]?.enum;
  }

  #handle(req: FakeRequest): FakeReply {
    this.rateLimit.used += 1;
    const headers = {
      'x-ratelimit-limit': String(this.rateLimit.limit),
      'x-ratelimit-remaining': String(Math.max(0, this.rateLimit.limit - this.rateLimit.used)),
      'x-ratelimit-used': String(this.rateLimit.used),
      'x-ratelimit-reset': String(this.rateLimit.resetAt),
      'x-ratelimit-resource': 'core',
      'x-github-api-version-selected': '2022-11-28',
    };
    const prefix = this.options.pathPrefix ?? '';
    if (prefix && !req.path.startsWith(`${prefix}/`)) return { status: 404, headers, body: { message: 'Not Found', documentation_url } };
    req = { ...req, path: req.path.slice(prefix.length) };
    const route = this.#routes.find((r) => r.method === req.method && r.pattern.test(req.path));
    let reply: FakeReply;
    if (!route) {
      reply = error(404, 'Not Found');
    } else {
      const caller = this.#caller(req);
      reply = caller.kind === 'none' ? error(401, caller.reason) : route.handle(req, {}, caller);
      if (!route.documented.has(reply.status) && !ANYWHERE.has(reply.status)) {
        this.contractViolations.push(`${req.method} ${route.template} answered ${reply.status}, not documented for ${spec().paths[route.template]![req.method.toLowerCase()]!.operationId}`);
      }
    }
    return { ...reply, headers: { ...headers, ...reply.headers } };
  }

  #caller(req: FakeRequest): Caller {
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^(?:bearer|token) (.+)$/i.exec(header) : null;
    if (!match) return { kind: 'none', reason: 'Requires authentication' };
    const token = match[1]!;
    if (this.pats.has(token)) return { kind: 'pat', token };
    const inst = this.tokens.get(token);
    if (inst) return this.tokenIsLive(token) ? { kind: 'installation', token, installationId: inst.installationId } : { kind: 'none', reason: 'Bad credentials' };
    if (token.split('.').length === 3 && !token.startsWith('ghs_')) return this.#verifyJwt(token) ?? { kind: 'app' };
    return { kind: 'none', reason: 'Bad credentials' };
  }

  /** Checks an App JWT as GitHub documents it: RS256 by the App's key, `iss` the App, `exp` ≤ 10 minutes after `iat`, not expired. */
  #verifyJwt(jwt: string): Caller | undefined {
    const [h, p, s] = jwt.split('.') as [string, string, string];
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${h}.${p}`);
    if (!verifier.verify(this.app.publicKey, Buffer.from(s, 'base64url'))) return { kind: 'none', reason: 'A JSON web token could not be decoded' };
    const header = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string };
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { iat?: number; exp?: number; iss?: string | number };
    const now = Math.floor(this.now() / 1000);
    if (header.alg !== 'RS256') return { kind: 'none', reason: 'A JSON web token could not be decoded' };
    if (String(claims.iss) !== String(this.app.appId)) return { kind: 'none', reason: "'Issuer' claim ('iss') must be an Integer" };
    if (typeof claims.iat !== 'number' || typeof claims.exp !== 'number' || claims.exp - claims.iat > 600) return { kind: 'none', reason: "'Expiration time' claim ('exp') is too far in the future" };
    if (claims.exp < now) return { kind: 'none', reason: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires" };
    return undefined;
  }

  #repo(params: Record<string, string>): FakeRepo | undefined {
    return this.repos.get(`${params.owner}/${params.repo}`.toLowerCase());
  }

  #canAdminister(caller: Caller, owner: string, permission: string): boolean {
    if (caller.kind === 'pat') return true;
    if (caller.kind !== 'installation') return false;
    const inst = this.installations.get(caller.installationId);
    if (!inst || inst.owner !== owner.toLowerCase()) return false;
    const level = inst.permissions[permission];
    return level === 'write' || level === 'admin';
  }

  #defineRoutes(): void {
    const repoRoles = () => [...ROLE_ORDER];

    this.#route('PUT', '/repos/{owner}/{repo}/collaborators/{username}', (req, p, caller) => {
      const repo = this.#repo(p);
      if (!repo) return error(404, 'Not Found');
      if (!this.#canAdminister(caller, p.owner!, 'administration')) return error(403, 'Resource not accessible by integration');
      const login = p.username!.toLowerCase();
      if (!this.users.has(login)) return error(404, 'Not Found');
      const body = (req.body ?? {}) as { permission?: unknown };
      const permission = typeof body.permission === 'string' ? body.permission : 'push';
      const org = this.orgs.get(p.owner!.toLowerCase());
      if (!repoRoles().includes(permission) && !org?.customRoles.has(permission)) {
        return error(422, 'Validation Failed', { errors: [{ resource: 'Repository', code: 'invalid', field: 'permission', message: `${permission} is not a valid permission` }] });
      }
      if (org?.members.has(login) && org.baseRole && ROLE_ORDER.includes(permission) && ROLE_ORDER.indexOf(permission) < ROLE_ORDER.indexOf(org.baseRole)) {
        return error(422, `Cannot assign ${login} permission of ${permission}`);
      }
      if (repo.direct.has(login) || org?.members.has(login)) {
        repo.direct.set(login, permission);
        return { status: 204 };
      }
      const existing = [...repo.invitations.entries()].find(([, inv]) => inv.login === login);
      if (existing) {
        existing[1].permission = permission;
        return { status: 201, body: this.#invitationJson(`${p.owner}/${p.repo}`, existing[0]) };
      }
      const dayAgo = this.now() - 24 * 3600_000;
      repo.invitationsSent = repo.invitationsSent.filter((t) => t > dayAgo);
      if (repo.invitationsSent.length >= 50) return error(422, 'Validation Failed', { errors: [{ resource: 'Repository', code: 'custom', message: 'You have reached the limit of 50 invitations per 24 hours for this repository' }] });
      const id = this.#nextId++;
      repo.invitations.set(id, { login, permission, createdAt: this.now() });
      repo.invitationsSent.push(this.now());
      return { status: 201, body: this.#invitationJson(`${p.owner}/${p.repo}`, id) };
    });

    this.#route('DELETE', '/repos/{owner}/{repo}/collaborators/{username}', (_req, p, caller) => {
      const repo = this.#repo(p);
      if (!repo) return error(404, 'Not Found');
      if (!this.#canAdminister(caller, p.owner!, 'administration')) return error(403, 'Resource not accessible by integration');
      repo.direct.delete(p.username!.toLowerCase());
      return { status: 204 };
    });

    this.#route('GET', '/repos/{owner}/{repo}/collaborators', (req, p) => {
      const repo = this.#repo(p);
      if (!repo) return error(404, 'Not Found');
      const affiliation = req.query.get('affiliation') ?? 'all';
      const fullName = `${p.owner}/${p.repo}`;
      const org = this.orgs.get(p.owner!.toLowerCase());
      const logins = new Set(repo.direct.keys());
      if (affiliation === 'all' && org?.baseRole) for (const m of org.members) logins.add(m);
      const list = [...logins].sort().map((login) => {
        const role = this.effectiveRole(fullName, login)!;
        return { login, id: login.length, type: 'User', site_admin: false, role_name: role === 'pull' ? 'read' : role === 'push' ? 'write' : role, permissions: Object.fromEntries(ROLE_ORDER.map((r) => [r, ROLE_ORDER.indexOf(r) <= ROLE_ORDER.indexOf(role)])) };
      });
      return { status: 200, body: this.#page(req, list) };
    });

    this.#route('GET', '/repos/{owner}/{repo}/collaborators/{username}/permission', (_req, p) => {
      if (!this.#repo(p)) return error(404, 'Not Found');
      const login = p.username!.toLowerCase();
      if (!this.users.has(login)) return error(404, 'Not Found');
      const role = this.effectiveRole(`${p.owner}/${p.repo}`, login);
      const legacy = role === null ? 'none' : role === 'admin' ? 'admin' : role === 'push' || role === 'maintain' ? 'write' : 'read';
      const roleName = role === null ? 'none' : role === 'pull' ? 'read' : role === 'push' ? 'write' : role;
      return { status: 200, body: { permission: legacy, role_name: roleName, user: role === null ? null : { login, role_name: roleName } } };
    });

    this.#route('GET', '/repos/{owner}/{repo}/invitations', (req, p) => {
      const repo = this.#repo(p);
      if (!repo) return error(404, 'Not Found');
      return { status: 200, body: this.#page(req, [...repo.invitations.keys()].map((id) => this.#invitationJson(`${p.owner}/${p.repo}`, id))) };
    });

    this.#route('PATCH', '/repos/{owner}/{repo}/invitations/{invitation_id}', (req, p) => {
      const repo = this.#repo(p);
      const inv = repo?.invitations.get(Number(p.invitation_id));
      if (!repo || !inv) return error(404, 'Not Found');
      const permissions = (req.body as { permissions?: string } | undefined)?.permissions;
      const allowed = ['read', 'write', 'maintain', 'triage', 'admin'];
      if (!permissions || !allowed.includes(permissions)) return error(422, 'Validation Failed', { errors: [{ code: 'invalid', field: 'permissions' }] });
      inv.permission = permissions === 'read' ? 'pull' : permissions === 'write' ? 'push' : permissions;
      return { status: 200, body: this.#invitationJson(`${p.owner}/${p.repo}`, Number(p.invitation_id)) };
    });

    this.#route('DELETE', '/repos/{owner}/{repo}/invitations/{invitation_id}', (_req, p) => {
      const repo = this.#repo(p);
      if (!repo || !repo.invitations.delete(Number(p.invitation_id))) return error(404, 'Not Found');
      return { status: 204 };
    });

    const team = (p: Record<string, string>) => this.orgs.get(p.org!.toLowerCase())?.teams.get(p.team_slug!.toLowerCase());
    const membershipJson = (p: Record<string, string>, m: { role: string; state: string }) => ({
      url: `${this.url}/orgs/${p.org}/teams/${p.team_slug}/memberships/${p.username}`,
      role: m.role,
      state: m.state,
    });

    this.#route('GET', '/orgs/{org}/teams/{team_slug}/memberships/{username}', (_req, p) => {
      const t = team(p);
      const m = t?.members.get(p.username!.toLowerCase());
      return t && m ? { status: 200, body: membershipJson(p, m) } : { status: 404, body: { message: 'Not Found', documentation_url } };
    });

    this.#route('PUT', '/orgs/{org}/teams/{team_slug}/memberships/{username}', (req, p, caller) => {
      const t = team(p);
      if (!t) return error(404, 'Not Found');
      if (!this.#canAdminister(caller, p.org!, 'members')) return error(403, 'Resource not accessible by integration');
      if (t.synced) return error(403, 'This team is synchronized with an identity provider; change its members there');
      const login = p.username!.toLowerCase();
      if (!this.users.has(login)) return error(404, 'Not Found');
      const role = (req.body as { role?: string } | undefined)?.role ?? 'member';
      const roles = this.#enum('team-membership', 'role') ?? ['member', 'maintainer'];
      if (!roles.includes(role)) return error(422, 'Validation Failed', { errors: [{ code: 'invalid', field: 'role' }] });
      const org = this.orgs.get(p.org!.toLowerCase())!;
      const existing = t.members.get(login);
      const state = existing?.state ?? (org.members.has(login) ? 'active' : 'pending');
      t.members.set(login, { role, state });
      return { status: 200, body: membershipJson(p, { role, state }) };
    });

    this.#route('DELETE', '/orgs/{org}/teams/{team_slug}/memberships/{username}', (_req, p, caller) => {
      const t = team(p);
      if (!t) return error(404, 'Not Found');
      if (!this.#canAdminister(caller, p.org!, 'members')) return error(403, 'Resource not accessible by integration');
      if (t.synced) return error(403, 'This team is synchronized with an identity provider; change its members there');
      t.members.delete(p.username!.toLowerCase());
      return { status: 204 };
    });

    const installationJson = (id: number) => ({ id, app_id: this.app.appId, account: { login: this.installations.get(id)!.owner }, permissions: this.installations.get(id)!.permissions, repository_selection: this.installations.get(id)!.repositories === 'all' ? 'all' : 'selected' });
    const findInstallation = (owner: string) => [...this.installations.entries()].find(([, i]) => i.owner === owner.toLowerCase())?.[0];

    this.#route('GET', '/repos/{owner}/{repo}/installation', (_req, p, caller) => {
      if (caller.kind !== 'app') return error(401, 'A JSON web token could not be decoded');
      const id = findInstallation(p.owner!);
      return id === undefined ? error(404, 'Not Found') : { status: 200, body: installationJson(id) };
    });

    this.#route('GET', '/orgs/{org}/installation', (_req, p, caller) => {
      if (caller.kind !== 'app') return error(401, 'A JSON web token could not be decoded');
      const id = findInstallation(p.org!);
      return id === undefined ? error(404, 'Not Found') : { status: 200, body: installationJson(id) };
    });

    this.#route('POST', '/app/installations/{installation_id}/access_tokens', (req, p, caller) => {
      if (caller.kind !== 'app') return error(401, 'A JSON web token could not be decoded');
      const id = Number(p.installation_id);
      const inst = this.installations.get(id);
      if (!inst) return error(404, 'Not Found');
      const body = (req.body ?? {}) as { repositories?: string[]; permissions?: Record<string, string> };
      const known = spec().components.schemas['app-permissions']?.properties ?? {};
      for (const [name, level] of Object.entries(body.permissions ?? {})) {
        const levels = known[name]?.enum;
        if (!levels || !levels.includes(level)) return error(422, 'Validation Failed', { errors: [{ resource: 'Permission', field: name, code: 'invalid' }] });
        const granted = inst.permissions[name];
        if (!granted || (granted === 'read' && level !== 'read')) return error(422, `The permissions requested are not granted to this installation.`);
      }
      const repositories = body.repositories ?? 'all';
      if (repositories !== 'all') {
        if (repositories.length > 500) return error(422, 'Validation Failed');
        for (const name of repositories) {
          const full = `${inst.owner}/${name}`.toLowerCase();
          const covered = inst.repositories === 'all' ? this.repos.has(full) : inst.repositories.map((r) => r.toLowerCase()).includes(full);
          if (!covered) return error(422, 'There is at least one repository that does not exist or is not accessible to the parent installation.');
        }
      }
      // Stateless-format tokens (ghs_…, JWT-shaped, ~520 chars) as GitHub rolls them out since 2026.
      const token = `ghs_${randomBytes(24).toString('base64url')}.${randomBytes(300).toString('base64url')}.${randomBytes(64).toString('base64url')}`;
      const permissions = body.permissions ?? inst.permissions;
      const expiresAt = this.now() + this.tokenLifetimeMs;
      this.tokens.set(token, { installationId: id, expiresAt, repositories, permissions, revoked: false });
      return {
        status: 201,
        body: {
          token,
          expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          permissions,
          repository_selection: repositories === 'all' ? 'all' : 'selected',
          ...(repositories === 'all' ? {} : { repositories: repositories.map((name) => ({ name, full_name: `${inst.owner}/${name}` })) }),
        },
      };
    });

    this.#route('DELETE', '/installation/token', (_req, _p, caller) => {
      if (caller.kind !== 'installation') return error(401, 'Bad credentials');
      this.tokens.get(caller.token)!.revoked = true;
      return { status: 204 };
    });

    this.#route('GET', '/installation/repositories', (req, _p, caller) => {
      if (caller.kind !== 'installation') return error(401, 'Bad credentials');
      const t = this.tokens.get(caller.token)!;
      const inst = this.installations.get(t.installationId)!;
      const names = t.repositories === 'all' ? [...this.repos.keys()].filter((r) => r.startsWith(`${inst.owner}/`)).map((r) => r.split('/')[1]!) : t.repositories;
      const perPage = Number(req.query.get('per_page') ?? 30);
      return { status: 200, body: { total_count: names.length, repository_selection: t.repositories === 'all' ? 'all' : 'selected', repositories: names.slice(0, perPage).map((name) => ({ name, full_name: `${inst.owner}/${name}` })) } };
    });
  }

  #invitationJson(fullName: string, id: number): Record<string, unknown> {
    const inv = this.repos.get(fullName.toLowerCase())!.invitations.get(id)!;
    const permissions = inv.permission === 'pull' ? 'read' : inv.permission === 'push' ? 'write' : inv.permission;
    return {
      id,
      node_id: `RI_${id}`,
      repository: { full_name: fullName },
      invitee: { login: inv.login },
      inviter: { login: 'jitbot' },
      permissions,
      created_at: new Date(inv.createdAt).toISOString(),
      expired: false,
      url: `${this.url}/user/repository_invitations/${id}`,
      html_url: `https://github.com/${fullName}/invitations`,
    };
  }

  #page<T>(req: FakeRequest, items: T[]): T[] {
    const perPage = Math.min(100, Number(req.query.get('per_page') ?? 30));
    const page = Math.max(1, Number(req.query.get('page') ?? 1));
    return items.slice((page - 1) * perPage, page * perPage);
  }
}
