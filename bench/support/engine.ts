import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { buildApp, type JitbotApp } from '../../src/app/build-app.js';
import type { IssueReceipt, RequestId } from '../../src/core/domain/access-request.js';
import { loadPolicy } from '../../src/config/load-policy.js';
import type { Policy } from '../../src/core/policy/policy-schema.js';
import type { GrantContext, IssueResult, Issuer } from '../../src/core/ports/issuer.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { builtinIssuerFactories } from '../../src/issuers/registry.js';
import { seedActiveGrants as seedGrants } from '../../test/support/seed-grants.js';
import { poll } from '../../test/support/wait-for.js';

/** Slack ids of the benchmark's people. */
export const SLACK_IDS = { alice: 'U0ALICE', dave: 'U0DAVE', erin: 'U0ERIN', bob: 'U0BOB', carol: 'U0CAROL' } as const;
export const REQUESTERS = ['alice', 'dave', 'erin'] as const;
export const APPROVER = 'bob';
export const RESOURCE = 'deploy';
/** The same key everywhere, so any process can open what another sealed. */
export const SECRET_KEY_HEX = 'b3'.repeat(32);

/**
 * The benchmark's policy: one resource behind one approval, production settings otherwise (30 min
 * approval timeout, reminder 5 min before the end). `gate` is a `none` issuer in real processes and the
 * in-process {@link TimingIssuer} in the benchmark's own apps.
 */
export const BENCH_POLICY_YAML = `version: 1
settings:
  approvalTimeout: 30m
  reminderBefore: 5m
  minDuration: 10s
  reannounceAfter: 15m
  # The benchmark measures requests at volume, not the limits that would refuse most of them.
  limits: { openPerRequester: 1000000, requestsPerMinute: 1000000 }
people:
  alice: { slack: ${SLACK_IDS.alice} }
  dave: { slack: ${SLACK_IDS.dave} }
  erin: { slack: ${SLACK_IDS.erin} }
  bob: { slack: ${SLACK_IDS.bob} }
  carol: { slack: ${SLACK_IDS.carol} }
groups:
  engineers: [alice, dave, erin, bob, carol]
  sre: [bob, carol]
admins: [group:sre]
issuers:
  gate: { type: none }
resources:
  ${RESOURCE}:
    description: Deploy to production (benchmark)
    issuer: gate
    requesters: [group:engineers]
    approvers: [group:sre]
    approvals: 1
    defaultDuration: 1h
    maxDuration: 8h
    reason: optional
    channel: { slack: C0APPROVALS }
`;

let cachedPolicy: Policy | undefined;
export function benchPolicy(): Policy {
  if (cachedPolicy) return cachedPolicy;
  const result = loadPolicy({ text: BENCH_POLICY_YAML, name: 'benchmark policy' }, { env: {}, issuerFactories: builtinIssuerFactories() });
  if (!result.ok) throw new Error(`benchmark policy: ${JSON.stringify(result.problems)}`);
  cachedPolicy = result.policy;
  return cachedPolicy;
}

export const personActor = (name: string) => ({ kind: 'person' as const, person: name, via: 'console' as const });

/**
 * A fast in-process issuer that records when it was called: `issue` with performance.now() (compared
 * with the approve call's return, same clock), `revoke` with Date.now() (compared with the window's
 * end, which is epoch time). Idempotent like a real issuer: only the first revoke of a grant counts.
 */
export class TimingIssuer implements Issuer {
  readonly type = 'bench-timing';
  readonly issuedAt = new Map<string, number>();
  readonly revokedAt = new Map<string, number>();
  private readonly issueWaiters = new Map<string, (at: number) => void>();
  revokeCalls = 0;

  async issue(grant: GrantContext): Promise<IssueResult> {
    const at = performance.now();
    if (!this.issuedAt.has(grant.grantId)) this.issuedAt.set(grant.grantId, at);
    this.issueWaiters.get(grant.grantId)?.(at);
    this.issueWaiters.delete(grant.grantId);
    return { receipt: { summary: 'benchmark credential', details: {}, revokeState: {} } };
  }

  async revoke(grant: GrantContext, _receipt: IssueReceipt | undefined): Promise<void> {
    this.revokeCalls++;
    if (!this.revokedAt.has(grant.grantId)) this.revokedAt.set(grant.grantId, Date.now());
  }

  /** Resolves with the performance.now() of the first issue call for `id` (at once if it happened already). */
  whenIssued(id: string, timeoutMs = 30_000): Promise<number> {
    const at = this.issuedAt.get(id);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.issueWaiters.delete(id);
        reject(new Error(`${id} was not issued within ${timeoutMs} ms`));
      }, timeoutMs);
      this.issueWaiters.set(id, (issued) => {
        clearTimeout(timer);
        resolve(issued);
      });
    });
  }
}

export interface InProcessOptions {
  redisUrl: string;
  prefix: string;
  dataDir: string;
  worker: boolean;
  issuer: TimingIssuer;
  revokeConcurrency?: number;
}

/**
 * jitbot's real composition (store, BullMQ scheduler, workers with production timings) in this
 * process, with the timing issuer in place of `gate`.
 */
export async function startInProcess(options: InProcessOptions): Promise<JitbotApp> {
  const dataDir = path.join(options.dataDir, options.prefix.replace(/[^a-z0-9]/gi, '_') + (options.worker ? 'w' : 'p'));
  mkdirSync(dataDir, { recursive: true });
  const app = await buildApp({
    policy: benchPolicy(),
    issuerFactories: builtinIssuerFactories(),
    log: silentLogger,
    redisUrl: options.redisUrl,
    dataDir,
    prefix: options.prefix,
    worker: options.worker,
    secretKeyHex: SECRET_KEY_HEX,
    issuerOverrides: new Map([['gate', options.issuer]]),
    ...(options.revokeConcurrency ? { workerTimings: { revokeConcurrency: options.revokeConcurrency } } : {}),
  });
  await app.start();
  return app;
}

/** Writes `count` active grants with their revoke jobs (the tests' seeding, with the benchmark's people). */
export function seedActiveGrants(app: JitbotApp, count: number, endAt: (i: number) => number, inFlight = 500): Promise<RequestId[]> {
  return seedGrants(app, { count, endAt, inFlight, resource: RESOURCE, requesters: REQUESTERS, approver: APPROVER, label: 'benchmark credential' });
}

/** Creates `count` pending requests through the real use case (as `/jit request` does), `inFlight` at a time. */
export async function seedPendingRequests(app: JitbotApp, count: number, inFlight = 100, duration = '2h'): Promise<RequestId[]> {
  const ids: RequestId[] = new Array<RequestId>(count);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const requester = REQUESTERS[i % REQUESTERS.length]!;
      const { request } = await app.core.requestAccess({ actor: personActor(requester), resource: RESOURCE, duration, reason: `benchmark ${i}` });
      ids[i] = request.id;
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
  return ids;
}

/** Waits until none of the app's queues has waiting or running jobs (delayed ones do not count). */
export async function drainQueues(app: JitbotApp, timeoutMs = 60_000): Promise<boolean> {
  const idle = async () => {
    let busy = 0;
    for (const queue of Object.values(app.scheduler.queues)) {
      const counts = await queue.getJobCounts('wait', 'active', 'prioritized');
      busy += (counts.wait ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0);
    }
    return busy === 0;
  };
  return (await poll(idle, timeoutMs, 50)) === true;
}
