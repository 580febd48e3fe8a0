import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, SignJWT, type JWK } from 'jose';

/** Options for one signed token. */
export interface SignOptions {
  /** Seconds since the epoch; default now. */
  iat?: number;
  /** Lifetime in seconds from iat; default 300 (GitHub) or 3600 (GitLab). */
  lifetime?: number;
  /** Sign with a key the issuer does not publish (under a published kid). */
  foreignKey?: boolean;
  kid?: string;
  issuer?: string;
  audience?: string;
}

/**
 * A local OIDC issuer for tests: discovery and JWKS on loopback, ID tokens signed by a test RSA key,
 * with claims shaped as GitHub Actions or GitLab CI issue them (ids as strings, `sub` in each
 * provider's format). Also the GitHub Actions runner's token endpoint (`ACTIONS_ID_TOKEN_REQUEST_URL`).
 */
export class FakeOidc {
  issuer = '';
  private server: http.Server | undefined;
  private readonly keys: { kid: string; privateKey: KeyObject; jwk: JWK }[] = [];
  private readonly foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  /** Claims the runner's token endpoint signs, by the request token a job was given. */
  private readonly runners = new Map<string, Record<string, unknown>>();
  jwksFetches = 0;
  discoveryFetches = 0;
  tokenRequests: { audience: string | null }[] = [];

  constructor(private readonly options: { kind: 'github' | 'gitlab'; path?: string }) {}

  async start(): Promise<this> {
    await this.addKey();
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    const port = (this.server.address() as AddressInfo).port;
    this.issuer = `http://127.0.0.1:${port}${this.options.path ?? `/${this.options.kind}`}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  get jwksUrl(): string {
    return this.options.kind === 'github' ? `${this.issuer}/.well-known/jwks` : `${this.issuer}/oauth/discovery/keys`;
  }

  /** What a job's runner exposes as ACTIONS_ID_TOKEN_REQUEST_URL. */
  get tokenRequestUrl(): string {
    return `${this.issuer}/_apis/token?api-version=2.0`;
  }

  /** Publishes a new signing key (rotation): later tokens name its kid. */
  async addKey(): Promise<string> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = `test-key-${this.keys.length + 1}`;
    this.keys.push({ kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } });
    return kid;
  }

  /** A job on the runner: `requestToken` is its ACTIONS_ID_TOKEN_REQUEST_TOKEN; tokens it asks for carry `claims`. */
  runner(claims: Record<string, unknown>): { requestToken: string } {
    const requestToken = `runner-${randomUUID()}`;
    this.runners.set(requestToken, claims);
    return { requestToken };
  }

  /** A signed ID token. */
  async sign(claims: Record<string, unknown>, options: SignOptions = {}): Promise<string> {
    const key = this.keys[this.keys.length - 1]!;
    const iat = options.iat ?? Math.floor(Date.now() / 1000);
    const lifetime = options.lifetime ?? (this.options.kind === 'github' ? 300 : 3600);
    return new SignJWT({ ...claims, iss: options.issuer ?? this.issuer, ...(options.audience ? { aud: options.audience } : {}), jti: randomUUID(), iat, nbf: iat - 5, exp: iat + lifetime })
      .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? key.kid, typ: 'JWT' })
      .sign(options.foreignKey ? this.foreign : key.privateKey);
  }

  /** An "unsigned" token: alg none, empty signature. */
  unsigned(claims: Record<string, unknown>): string {
    const iat = Math.floor(Date.now() / 1000);
    const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'none', typ: 'JWT' })}.${part({ ...claims, iss: this.issuer, iat, nbf: iat, exp: iat + 300 })}.`;
  }

  /** Claims as GitHub Actions puts them in an ID token (every custom claim a string). */
  static githubClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const repository = String(overrides.repository ?? 'acme/app');
    const owner = repository.split('/')[0]!;
    const ref = String(overrides.ref ?? 'refs/heads/main');
    const environment = overrides.environment as string | undefined;
    return {
      actor: 'alice-gh',
      actor_id: '1001',
      base_ref: '',
      event_name: 'push',
      head_ref: '',
      job_workflow_ref: `${repository}/.github/workflows/deploy.yml@${ref}`,
      job_workflow_sha: 'b8962f4eaff8e14fc646cb22c596c81e67d71362',
      ref,
      ref_protected: 'true',
      ref_type: 'branch',
      repository,
      repository_id: '1339936803',
      repository_owner: owner,
      repository_owner_id: '285964',
      repository_visibility: 'private',
      run_attempt: '1',
      run_id: '32291736541',
      run_number: '7',
      runner_environment: 'github-hosted',
      sha: 'b8962f4eaff8e14fc646cb22c596c81e67d71362',
      sub: environment ? `repo:${repository}:environment:${environment}` : `repo:${repository}:ref:${ref}`,
      workflow: 'Deploy',
      workflow_ref: `${repository}/.github/workflows/deploy.yml@${ref}`,
      workflow_sha: 'b8962f4eaff8e14fc646cb22c596c81e67d71362',
      ...(environment ? { environment } : {}),
      ...overrides,
    };
  }

  /** Claims as GitLab CI puts them in an ID token (`id_tokens:`). */
  static gitlabClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
    const project = String(overrides.project_path ?? 'acme/infra');
    const ref = String(overrides.ref ?? 'main');
    return {
      namespace_id: '72',
      namespace_path: project.split('/')[0],
      project_id: '4242',
      project_path: project,
      user_id: '31',
      user_login: 'carol-gl',
      user_email: 'carol@example.com',
      user_access_level: 'maintainer',
      pipeline_id: '1861',
      pipeline_source: 'push',
      job_id: '9001',
      ref,
      ref_type: 'branch',
      ref_path: `refs/heads/${ref}`,
      ref_protected: 'true',
      runner_id: 11,
      runner_environment: 'gitlab-hosted',
      sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
      project_visibility: 'private',
      ci_config_ref_uri: `gitlab.example.com/${project}//.gitlab-ci.yml@refs/heads/${ref}`,
      ci_config_sha: '714a629c0b401fdce83e847fc9589983fc6f46bc',
      sub: `project_path:${project}:ref_type:branch:ref:${ref}`,
      ...overrides,
    };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const base = new URL(this.issuer).pathname;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname;
    if (path === '/.well-known/openid-configuration') {
      this.discoveryFetches++;
      return send(200, { issuer: this.issuer, jwks_uri: this.jwksUrl, id_token_signing_alg_values_supported: ['RS256'], response_types_supported: ['id_token'], subject_types_supported: ['public', 'pairwise'] });
    }
    if (`${this.issuer}${path}` === this.jwksUrl) {
      this.jwksFetches++;
      return send(200, { keys: this.keys.map((k) => k.jwk) });
    }
    if (path === '/_apis/token') {
      const auth = req.headers.authorization ?? '';
      const claims = this.runners.get(auth.replace(/^Bearer /, ''));
      const audience = url.searchParams.get('audience');
      this.tokenRequests.push({ audience });
      if (!claims) return send(401, { message: 'bad request token' });
      return send(200, { value: await this.sign(claims, audience ? { audience } : {}) });
    }
    send(404, { message: 'not found' });
  }
}
