import type { Policy } from '../core/policy/policy-schema.js';
import type { Clock } from '../core/ports/clock.js';
import { systemClock } from '../core/ports/clock.js';
import type { Issuer, IssuerFactory } from '../core/ports/issuer.js';
import type { Logger } from '../core/ports/logger.js';
import type { Notifier } from '../core/ports/notifier.js';
import type { RequestStore } from '../core/ports/request-store.js';
import { DEFAULT_ENGINE_SETTINGS, type CoreDeps, type EngineSettings } from '../core/services/core-context.js';
import { createCore, type JitCore } from '../core/services/create-core.js';
import { HttpServer } from '../http/http-server.js';
import { mountOperationalRoutes } from '../http/operational-routes.js';
import { BullScheduler } from '../jobs/bullmq-scheduler.js';
import type { RetrySettings } from '../jobs/queues.js';
import { startWorkers, type RunningWorkers } from '../jobs/workers.js';
import type { PipelineConfig } from '../config/pipeline-config.js';
import { createPipelines } from '../pipelines/pipelines.js';
import { buildIssuer } from '../issuers/registry.js';
import { RedisRequestStore } from '../store/redis/redis-request-store.js';
import { startCheckpointer, type RunningCheckpointer } from './audit-checkpointer.js';
import type { AuditSigningKey } from './audit-signing-key.js';
import { withLifecycleLog } from './lifecycle-log.js';
import { createMetrics } from './metrics.js';
import { RedisIssuerState } from './redis-issuer-state.js';
import { openRedis, type RedisHandle } from './redis-connection.js';
import { createSecretBox } from './secret-box.js';

export interface AppOptions {
  policy: Policy;
  issuerFactories: Map<string, IssuerFactory>;
  log: Logger;
  /** Unset: the embedded redis-server. */
  redisUrl?: string;
  dataDir: string;
  /** Key prefix for everything jitbot stores (tests use a unique one each). */
  prefix?: string;
  web?: { host: string; port: number } | undefined;
  worker?: boolean;
  clock?: Clock;
  engine?: Partial<EngineSettings>;
  retry?: RetrySettings;
  workerTimings?: { lockDurationMs?: number; stalledIntervalMs?: number; reconcileEveryMs?: number; revokeConcurrency?: number };
  secretKeyHex?: string;
  /** Issuers to use instead of building them from the policy (tests inject fakes by issuer name). */
  issuerOverrides?: Map<string, Issuer>;
  /**
   * Pipelines as requesters (policy `pipelines:` / `deploymentProtection:`): the OIDC-authenticated
   * API and GitHub deployment protection webhooks are mounted on the HTTP server, and every process
   * registers the pipeline notifier (it reports deployment decisions to GitHub).
   */
  pipelines?: PipelineConfig;
  /** The audit checkpoints' signing key, loaded on first use (only worker processes sign); unset: no checkpoints. */
  auditSigningKey?: () => AuditSigningKey;
}

export interface JitbotApp {
  core: JitCore;
  /**
   * The durable state behind core: adapters are handed its narrow parts (`AdapterState` for their
   * claims and references, `AuditLog` for refusals that change nothing); tests read it directly.
   */
  store: RequestStore;
  redis: RedisHandle;
  scheduler: BullScheduler;
  http?: HttpServer;
  /** The port the HTTP server listens on, once started. */
  port?: number;
  workers?: RunningWorkers;
  issuers: Map<string, Issuer>;
  /** Adds a chat platform; adapters call this once they are built. */
  addNotifier(notifier: Notifier): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The composition root: the only place that knows the concrete classes and wires them together. */
export async function buildApp(options: AppOptions): Promise<JitbotApp> {
  const prefix = options.prefix ?? 'jitbot:';
  const clock = options.clock ?? systemClock;
  const redis = await openRedis({ ...(options.redisUrl ? { url: options.redisUrl } : {}), dataDir: options.dataDir, log: options.log });
  const store = withLifecycleLog(new RedisRequestStore(redis.commands, prefix), options.log);
  const scheduler = new BullScheduler({ connection: redis.jobs, prefix: `${prefix}bull`, clock, log: options.log });
  const metrics = createMetrics(store);
  const notifiers: Notifier[] = [];

  const issuers = new Map<string, Issuer>();
  for (const [name, entry] of Object.entries(options.policy.issuers)) {
    const override = options.issuerOverrides?.get(name);
    if (override) {
      issuers.set(name, override);
      continue;
    }
    const factory = options.issuerFactories.get(entry.type);
    if (!factory) throw new Error(`issuers.${name}: unknown issuer type "${entry.type}"`);
    const { type: _type, ...settings } = entry;
    const issuer = await buildIssuer(factory, name, settings, {
      dataDir: options.dataDir,
      state: new RedisIssuerState(redis.commands, `${prefix}issuer:${name}:`),
      grantIsLive: async (grantId) => {
        const request = await store.get(grantId);
        return request?.status === 'active' && request.window.end > clock.now();
      },
    });
    issuers.set(name, issuer);
  }

  const deps: CoreDeps = {
    requests: store,
    audit: store,
    state: store,
    scheduler,
    clock,
    policy: () => options.policy,
    issuer: (name) => issuers.get(name),
    notifiers,
    secretBox: createSecretBox({ ...(options.secretKeyHex ? { keyHex: options.secretKeyHex } : {}), dataDir: options.dataDir }),
    log: options.log,
    engine: { ...DEFAULT_ENGINE_SETTINGS, ...options.engine },
    observer: metrics.observer,
    ...(options.worker && options.auditSigningKey ? { checkpointSigner: options.auditSigningKey().signer } : {}),
  };
  const core = createCore(deps);
  const pipelines = options.pipelines ? createPipelines({ core, state: store, audit: store, config: options.pipelines, log: options.log }) : undefined;
  if (pipelines) notifiers.push(pipelines.notifier);

  let workers: RunningWorkers | undefined;
  let checkpointer: RunningCheckpointer | undefined;
  const http = options.web ? new HttpServer({ host: options.web.host, port: options.web.port, log: options.log }) : undefined;
  if (http) {
    mountOperationalRoutes(http, {
      registry: metrics.registry,
      ready: async () => {
        await store.ping();
        return { redis: true, policy: true, workers: options.worker ? workers?.isRunning() === true : true };
      },
      issuers,
    });
    pipelines?.mount(http);
  }

  const app: JitbotApp = {
    core,
    store,
    redis,
    scheduler,
    ...(http ? { http } : {}),
    issuers,
    addNotifier(notifier) {
      notifiers.push(notifier);
    },
    async start() {
      if (options.worker) {
        workers = startWorkers({
          connection: redis.jobs,
          prefix: `${prefix}bull`,
          core,
          scheduler,
          clock,
          log: options.log,
          ...(options.retry ? { retry: options.retry } : {}),
          ...options.workerTimings,
          onJobResult: metrics.onJobResult,
        });
        app.workers = workers;
        await workers.ready();
        const report = await core.jobs.reconcile({ scope: 'full' });
        options.log.info({ ...report }, 'worker started; reconciliation done');
        if (deps.checkpointSigner) checkpointer = startCheckpointer(core, { everyMs: deps.engine.checkpointEveryMs, log: options.log });
      }
      if (http) app.port = await http.listen();
    },
    async stop() {
      pipelines?.stop();
      await http?.close();
      await checkpointer?.stop();
      await workers?.close();
      await scheduler.close();
      await redis.close();
    },
  };
  return app;
}
