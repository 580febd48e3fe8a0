import { createHmac, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { jwtVerify } from 'jose';

export interface RecordedReview {
  owner: string;
  repo: string;
  runId: string;
  body: { environment_name?: string; state?: string; comment?: string };
  at: number;
}

/**
 * The far side of a deployment protection rule, on loopback: GitHub's App installation-token
 * endpoint (checks the App JWT) and the run's `deployment_protection_rule` review endpoint (checks
 * the installation token, records each review, refuses a second review of a decided environment
 * with 422). Also signs webhooks as GitHub does (`X-Hub-Signature-256`).
 */
export class FakeGitHubDeployments {
  readonly appId = '424242';
  readonly webhookSecret = `whsec-${randomBytes(16).toString('hex')}`;
  /** The App's private key as GitHub hands it out (PKCS#1 PEM). */
  readonly privateKeyPem: string;
  private readonly publicKey: KeyObject;
  apiUrl = '';
  readonly reviews: RecordedReview[] = [];
  readonly tokenRequests: { installationId: string; body: unknown }[] = [];
  /** Answer this many review calls with 502 (GitHub having a bad moment). */
  failReviews = 0;
  private readonly tokens = new Set<string>();
  private readonly decided = new Set<string>();
  private server: http.Server | undefined;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    this.publicKey = publicKey;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', () => resolve()));
    this.apiUrl = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /** A `deployment_protection_rule` / `requested` payload as GitHub sends it. */
  payload(overrides: { environment?: string; repository?: string; runId?: number; deploymentId?: number; sender?: string; sha?: string } = {}): Record<string, unknown> {
    const fullName = overrides.repository ?? 'acme/app';
    const [owner, name] = fullName.split('/') as [string, string];
    const runId = overrides.runId ?? 5550001;
    const sha = overrides.sha ?? 'c0ffee1234567890c0ffee1234567890c0ffee12';
    return {
      action: 'requested',
      environment: overrides.environment ?? 'production',
      event: 'push',
      sha,
      ref: 'refs/heads/main',
      deployment_callback_url: `${this.apiUrl}/repos/${owner}/${name}/actions/runs/${runId}/deployment_protection_rule`,
      deployment: { url: `${this.apiUrl}/repos/${fullName}/deployments/${overrides.deploymentId ?? 77}`, id: overrides.deploymentId ?? 77, node_id: 'DE_1', sha, ref: 'main', task: 'deploy', payload: {}, original_environment: 'production', environment: overrides.environment ?? 'production', description: null, creator: { login: 'github-actions[bot]', id: 41898282 }, created_at: new Date().toISOString(), updated_at: new Date().toISOString(), statuses_url: '', repository_url: '' },
      pull_requests: [],
      repository: { id: 1339936803, node_id: 'R_1', name, full_name: fullName, private: true, owner: { login: owner, id: 285964 }, html_url: `https://github.com/${fullName}` },
      organization: { login: owner, id: 285964 },
      installation: { id: 99, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uOTk=' },
      sender: { login: overrides.sender ?? 'alice-gh', id: 1001, type: 'User' },
    };
  }

  /** Sends a webhook to jitbot, signed with the webhook secret (or as told). */
  async deliver(
    target: string,
    payload: unknown,
    options: { secret?: string; signature?: string | null; event?: string; delivery?: string; body?: string } = {},
  ): Promise<{ status: number; body: Record<string, unknown>; delivery: string }> {
    const body = options.body ?? JSON.stringify(payload);
    const delivery = options.delivery ?? randomUUID();
    const signature =
      options.signature === undefined ? `sha256=${createHmac('sha256', options.secret ?? this.webhookSecret).update(body).digest('hex')}` : options.signature;
    const response = await fetch(target, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': options.event ?? 'deployment_protection_rule',
        'x-github-delivery': delivery,
        'x-github-hook-id': '1',
        'user-agent': 'GitHub-Hookshot/test',
        ...(signature === null ? {} : { 'x-hub-signature-256': signature }),
      },
      body,
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, delivery };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const auth = (req.headers.authorization ?? '').replace(/^(Bearer|token) /i, '');
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;

    const tokenPath = /^\/app\/installations\/(\d+)\/access_tokens$/.exec(path);
    if (req.method === 'POST' && tokenPath) {
      try {
        const { payload } = await jwtVerify(auth, this.publicKey, { issuer: this.appId, algorithms: ['RS256'] });
        if ((payload.exp ?? 0) - (payload.iat ?? 0) > 600) return send(401, { message: "'Expiration time' claim ('exp') is too far in the future" });
      } catch {
        return send(401, { message: 'A JSON web token could not be decoded' });
      }
      this.tokenRequests.push({ installationId: tokenPath[1]!, body: raw ? (JSON.parse(raw) as unknown) : {} });
      const token = `ghs_${randomBytes(18).toString('base64url')}`;
      this.tokens.add(token);
      return send(201, { token, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { deployments: 'write', actions: 'read' }, repository_selection: 'selected' });
    }

    const review = /^\/repos\/([^/]+)\/([^/]+)\/actions\/runs\/(\d+)\/deployment_protection_rule$/.exec(path);
    if (req.method === 'POST' && review) {
      if (!this.tokens.has(auth)) return send(401, { message: 'Bad credentials' });
      if (this.failReviews > 0) {
        this.failReviews--;
        return send(502, { message: 'Server Error' });
      }
      const body = JSON.parse(raw || '{}') as RecordedReview['body'];
      const key = `${review[3]}:${body.environment_name}`;
      if (body.state && this.decided.has(key)) return send(422, { message: 'No pending deployment requests to approve or reject' });
      if (body.state) this.decided.add(key);
      this.reviews.push({ owner: review[1]!, repo: review[2]!, runId: review[3]!, body, at: Date.now() });
      return send(204);
    }
    send(404, { message: 'Not Found' });
  }
}
