import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { buildApp, type AppOptions, type JitbotApp } from '../../src/app/build-app.js';
import type { Actor } from '../../src/core/domain/access-request.js';
import { PolicySchema, type Policy } from '../../src/core/policy/policy-schema.js';
import type { Clock } from '../../src/core/ports/clock.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { builtinIssuerFactories } from '../../src/issuers/registry.js';
import { FakeIssuer } from '../fakes/fake-issuer.js';
import { RecordingNotifier } from '../fakes/recording-notifier.js';
import { deleteByPrefix, uniquePrefix } from './redis.js';

export { waitFor } from './wait-for.js';

/** A small policy for engine tests: durations in seconds so whole lifecycles fit in a test. */
export function testPolicy(overrides: Record<string, unknown> = {}): Policy {
  return PolicySchema.parse({
    version: 1,
    // Engine tests make hundreds of requests as one person; request-limits.test.ts tests the limits.
    settings: { approvalTimeout: '30s', reminderBefore: '1s', minDuration: '1s', reannounceAfter: '10s', limits: { openPerRequester: 10_000, openPerPipeline: 10_000, requestsPerMinute: 100_000 } },
    people: {
      alice: { slack: 'U0ALICE', email: 'alice@example.com' },
      bob: { slack: 'U0BOB' },
      carol: { slack: 'U0CAROL' },
      dave: { slack: 'U0DAVE' },
      erin: { slack: 'U0ERIN' },
    },
    groups: { engineers: ['alice', 'bob', 'carol', 'dave'], sre: ['bob', 'carol'], leads: ['carol', 'dave', 'erin'] },
    admins: ['group:sre'],
    issuers: { fake: { type: 'none' } },
    resources: {
      deploy: { description: 'Deploy to prod', issuer: 'fake', approvers: ['group:sre'], approvals: 1, defaultDuration: '2s', maxDuration: '1h', reason: 'optional', channel: { slack: 'C0APPROVALS' } },
      'two-keys': { issuer: 'fake', approvers: ['group:leads'], approvals: 2, maxDuration: '1h', reason: 'required' },
      auto: { issuer: 'fake', approvers: ['group:sre'], maxDuration: '1h', reason: 'optional', autoApprove: [{ requesters: ['alice'], maxDuration: '30m' }] },
    },
    ...overrides,
  });
}

export const person = (name: string): Actor & { kind: 'person' } => ({ kind: 'person', person: name, via: 'console' });

export interface Engine {
  app: JitbotApp;
  issuer: FakeIssuer;
  notifier: RecordingNotifier;
  prefix: string;
  stop(): Promise<void>;
}

/** An in-process jitbot (store, scheduler, workers) on the suite's Redis, with a fake issuer and notifier. */
export async function startEngine(options: Partial<AppOptions> & { policy?: Policy; issuer?: FakeIssuer; prefix?: string; keepData?: boolean } = {}): Promise<Engine> {
  const prefix = options.prefix ?? uniquePrefix('e');
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jitbot-engine-'));
  const issuer = options.issuer ?? new FakeIssuer();
  const app = await buildApp({
    policy: options.policy ?? testPolicy(),
    issuerFactories: builtinIssuerFactories(),
    log: silentLogger,
    redisUrl: options.redisUrl ?? inject('redisUrl'),
    dataDir,
    prefix,
    worker: options.worker ?? true,
    engine: { revokeFailedAfterAttempts: 3, issueMaxAttempts: 4, earlyToleranceMs: 50, ...options.engine },
    retry: options.retry ?? { baseMs: 20, capMs: 200 },
    workerTimings: { lockDurationMs: 2000, stalledIntervalMs: 500, reconcileEveryMs: 1000, ...options.workerTimings },
    issuerOverrides: new Map([['fake', issuer]]),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.web ? { web: options.web } : {}),
  });
  const notifier = new RecordingNotifier();
  app.addNotifier(notifier);
  await app.start();
  return {
    app,
    issuer,
    notifier,
    prefix,
    async stop() {
      await app.stop();
      if (!options.keepData) {
        const { Redis } = await import('ioredis');
        const redis = new Redis(options.redisUrl ?? inject('redisUrl'));
        await deleteByPrefix(redis, prefix);
        redis.disconnect();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}


/** A clock that runs `offsetMs` ahead of the real one: grants made "now" end sooner in real time. */
export function shiftedClock(offsetMs: number): Clock {
  return { now: () => Date.now() + offsetMs };
}
