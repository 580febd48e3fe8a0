import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { LoopbackServer, type FakeReply, type FakeRequest } from './fake-github-loopback.js';

/**
 * A webhook receiver as docs/issuers.md asks receivers to be. Signatures are checked by the official
 * `standardwebhooks` library (never by jitbot's signing code): `webhook-signature` over
 * `id.timestamp.body`, timestamps more than 5 minutes off refused (401). It deduplicates by
 * `webhook-id` — a repeated id gets the first answer again and changes nothing. In `async` mode it
 * answers 202 with a status URL that reports `pending` a few times, then `succeeded`. `rotate()`
 * changes the secrets it accepts, as a receiver does while its operator rotates them.
 */

export interface ReceivedEvent {
  id: string;
  type: string;
  body: Record<string, unknown>;
}

export class WebhookReceiver {
  readonly server: LoopbackServer;
  /** The secrets it accepts (any one valid signature suffices); the first is the one to configure. */
  #verifiers: { secret: string; webhook: Webhook }[] = [];
  /** Grants activated and not deactivated, by grant id. */
  readonly active = new Map<string, ReceivedEvent>();
  /** Every event applied (once per webhook-id). */
  readonly applied: ReceivedEvent[] = [];
  /** Requests refused for a bad signature or timestamp. */
  rejected = 0;
  mode: 'sync' | 'async' = 'sync';
  /** In async mode: how many status polls say `pending` before `succeeded`. */
  pendingPolls = 2;
  /** In async mode: make the job fail (status `failed`). */
  failJobs = false;
  /** Returned in 200 answers to activate (e.g. `{ details: {...}, secret: {...} }`). */
  extraAnswer: Record<string, unknown> = {};
  readonly #answers = new Map<string, FakeReply>();
  readonly #jobs = new Map<string, { polls: number; event: ReceivedEvent }>();

  constructor(secret = WebhookReceiver.newSecret()) {
    this.rotate([secret]);
    this.server = new LoopbackServer((req) => this.#handle(req));
  }

  /** A fresh Standard Webhooks secret. */
  static newSecret(): string {
    return `whsec_${randomBytes(32).toString('base64')}`;
  }

  /** The secret to configure in jitbot (the newest accepted). */
  get secret(): string {
    return this.#verifiers[0]!.secret;
  }

  /** From now on accept these secrets (and no others). */
  rotate(secrets: readonly string[]): void {
    this.#verifiers = secrets.map((secret) => ({ secret, webhook: new Webhook(secret) }));
  }

  async start(): Promise<string> {
    await this.server.start();
    return this.url;
  }

  /** The endpoint to configure. */
  get url(): string {
    return `${this.server.url}/hooks/jitbot`;
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }

  /** How many requests carried this webhook-id. */
  deliveries(id: string): number {
    return this.server.log.filter((r) => r.headers['webhook-id'] === id).length;
  }

  #verified(req: FakeRequest): string | undefined {
    const id = req.headers['webhook-id'];
    const timestamp = req.headers['webhook-timestamp'];
    const signatures = req.headers['webhook-signature'];
    if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return undefined;
    const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signatures };
    for (const { webhook } of this.#verifiers) {
      try {
        webhook.verify(req.rawBody, headers, { jsonParse: false });
        return id;
      } catch {
        // not signed with this secret (or too old): try the next one
      }
    }
    return undefined;
  }

  #handle(req: FakeRequest): FakeReply {
    const id = this.#verified(req);
    if (!id) {
      this.rejected += 1;
      return { status: 401, body: { error: 'bad signature or timestamp' } };
    }
    if (req.method === 'GET' && req.path.startsWith('/hooks/status/')) {
      const job = this.#jobs.get(req.path.slice('/hooks/status/'.length));
      if (!job) return { status: 404, body: { error: 'unknown job' } };
      job.polls += 1;
      if (job.polls <= this.pendingPolls) return { status: 200, body: { status: 'pending' } };
      if (this.failJobs) return { status: 200, body: { status: 'failed', message: 'the target refused the change' } };
      this.#apply(job.event);
      return { status: 200, body: { status: 'succeeded', details: { note: 'applied asynchronously' } } };
    }
    if (req.method !== 'POST' || req.path !== '/hooks/jitbot') return { status: 404, body: { error: 'not here' } };
    const known = this.#answers.get(id);
    if (known) return known;
    const body = req.body as Record<string, unknown> | undefined;
    const type = typeof body?.type === 'string' ? body.type : '';
    if (!['grant.activate', 'grant.deactivate', 'grant.extend'].includes(type)) return { status: 400, body: { error: `unknown event type ${type}` } };
    const event: ReceivedEvent = { id, type, body: body! };
    let reply: FakeReply;
    if (this.mode === 'async') {
      const job = randomBytes(6).toString('hex');
      this.#jobs.set(job, { polls: 0, event });
      reply = { status: 202, headers: { location: `/hooks/status/${job}` }, body: { status: 'pending' } };
    } else {
      this.#apply(event);
      reply = { status: 200, body: { status: type === 'grant.deactivate' ? 'revoked' : 'active', ...(type === 'grant.activate' ? this.extraAnswer : {}) } };
    }
    this.#answers.set(id, reply);
    return reply;
  }

  #apply(event: ReceivedEvent): void {
    if (this.applied.some((e) => e.id === event.id)) return;
    this.applied.push(event);
    const grantId = ((event.body.data as Record<string, unknown>).grant as { id: string }).id;
    if (event.type === 'grant.deactivate') this.active.delete(grantId);
    else this.active.set(grantId, event);
  }
}
