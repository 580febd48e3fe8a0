import path from 'node:path';
import { createSecretBox } from '../../src/app/secret-box.js';
import { loadPolicy } from '../../src/config/load-policy.js';
import type { AccessRequest, Actor, RequestId, RequestStatus } from '../../src/core/domain/access-request.js';
import type { Policy } from '../../src/core/policy/policy-schema.js';
import { ManualClock } from '../../src/core/ports/clock.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { Observer } from '../../src/core/ports/observer.js';
import { DEFAULT_ENGINE_SETTINGS, type EngineSettings } from '../../src/core/services/core-context.js';
import { createCore, type JitCore } from '../../src/core/services/create-core.js';
import { builtinIssuerFactories } from '../../src/issuers/registry.js';
import { MemoryScheduler } from '../../src/jobs/memory-scheduler.js';
import { emptyAuditTrail, type MemoryAuditTrail } from '../../src/store/memory/memory-audit-log.js';
import { MemoryRequestStore } from '../../src/store/memory/memory-request-store.js';
import { FakeIssuer } from '../fakes/fake-issuer.js';
import { RecordingNotifier } from '../fakes/recording-notifier.js';

const POLICIES = path.join(import.meta.dirname, '..', 'fixtures', 'policies');

/** A policy from test/fixtures/policies/, validated as `jitbot check` would. */
export function fixturePolicy(name = 'engine.yaml'): Policy {
  const result = loadPolicy({ path: path.join(POLICIES, name) }, { issuerFactories: builtinIssuerFactories(), env: {} });
  if (!result.ok) throw new Error(`fixture policy ${name} is invalid: ${result.problems.map((p) => p.message).join('; ')}`);
  return result.policy;
}

export const person = (name: string): Actor & { kind: 'person' } => ({ kind: 'person', person: name, via: 'console' });

export interface MemoryCore {
  core: JitCore;
  clock: ManualClock;
  store: MemoryRequestStore;
  trail: MemoryAuditTrail;
  scheduler: MemoryScheduler;
  issuer: FakeIssuer;
  notifier: RecordingNotifier;
  /** Swap the policy, as a reload does. */
  setPolicy(policy: Policy): void;
  /** The stored request (throws when there is none). */
  get(id: RequestId): Promise<AccessRequest>;
  status(id: RequestId): Promise<RequestStatus | undefined>;
  auditTypes(id: RequestId): Promise<string[]>;
}

export interface MemoryCoreOptions {
  policy?: Policy;
  /** The engine suites' settings by default: revoke_failed after 3 attempts, issue gives up after 4. */
  engine?: Partial<EngineSettings>;
  issuer?: FakeIssuer;
  /** Counts what the core reports (commands handled, approvals), as the metrics do. */
  observer?: Observer;
}

// Fixed, so a sealed secret is the same across runs; never a real key.
const TEST_KEY = 'ab'.repeat(32);

/**
 * The whole core on memory ports and a manual clock: nothing runs until the test advances time, so
 * every step of a lifecycle can be looked at, and a day of grants passes in milliseconds.
 */
export function memoryCore(options: MemoryCoreOptions = {}): MemoryCore {
  const clock = new ManualClock();
  const trail = emptyAuditTrail();
  const store = new MemoryRequestStore({ clock, trail });
  const scheduler = new MemoryScheduler({ clock, audit: store, retry: { baseMs: 1000, capMs: 60_000 } });
  const issuer = options.issuer ?? new FakeIssuer();
  const notifier = new RecordingNotifier();
  let policy = options.policy ?? fixturePolicy();
  const core = createCore({
    requests: store,
    audit: store,
    state: store,
    scheduler,
    clock,
    policy: () => policy,
    issuer: (name) => (policy.issuers[name] ? issuer : undefined),
    notifiers: [notifier],
    secretBox: createSecretBox({ keyHex: TEST_KEY, dataDir: '' }),
    log: silentLogger,
    engine: { ...DEFAULT_ENGINE_SETTINGS, revokeFailedAfterAttempts: 3, issueMaxAttempts: 4, earlyToleranceMs: 50, ...options.engine },
    ...(options.observer ? { observer: options.observer } : {}),
  });
  scheduler.connect(core);
  return {
    core,
    clock,
    store,
    trail,
    scheduler,
    issuer,
    notifier,
    setPolicy(next) {
      policy = next;
    },
    async get(id) {
      const request = await store.get(id);
      if (!request) throw new Error(`no request ${id}`);
      return request;
    },
    async status(id) {
      return (await store.get(id))?.status;
    },
    async auditTypes(id) {
      return (await store.auditOf(id)).map((e) => e.type);
    },
  };
}

/** The jobs waiting for a request, as `name@in-ms` (notifications as `notify:<kind>[:<message>]`), soonest first. */
export function jobsOf(m: MemoryCore, id: RequestId): string[] {
  return m.scheduler
    .pending()
    .filter((job) => job.data.requestId === id)
    .map((job) => {
      const what = job.queue === 'notify' ? ['notify', job.name, job.data.message ?? job.data.notice].filter(Boolean).join(':') : job.name;
      return `${what}@${job.dueAt - m.clock.now()}`;
    });
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
