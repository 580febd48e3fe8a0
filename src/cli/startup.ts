import path from 'node:path';
import type { AppOptions, JitbotApp } from '../app/build-app.js';
import { DEMO_POLICY_YAML } from '../app/demo-policy.js';
import { loadAuditSigningKey, type AuditSigningKey } from '../app/audit-signing-key.js';
import { createLogger } from '../app/logger.js';
import { ConfigError } from '../config/config-error.js';
import { DEMO_POLICY_NAME, loadEnvironment, resolvePolicyPath, secretValues, wantsDemoPolicy, type Environment } from '../config/environment.js';
import { formatProblem, loadPolicy } from '../config/load-policy.js';
import type { Logger } from '../core/ports/logger.js';
import type { Policy } from '../core/policy/policy-schema.js';
import { builtinIssuerFactories } from '../issuers/registry.js';
import { loadPipelineConfig, pipelineSecrets } from '../config/pipeline-config.js';

/** A step of startup failed: the caller prints `message` on stderr and exits 2 (jitbot could not start). */
export class StartupError extends Error {
  override readonly name = 'StartupError';
}

export interface LoadedPolicy {
  policy: Policy;
  secrets: string[];
  source: string;
  demo: boolean;
}

/** What one kind of process (`start`, `web`, `worker`, `console`, an operator command) asks of startup, once its environment is known. */
export interface ProcessPlan {
  /** Whether the demo policy may stand in for a missing ./jitbot.yaml, and who needs a policy file (for the message when it may not). */
  policy: { allowDemo?: boolean; who?: string };
  /** Runs after the policy is loaded, before Redis is opened (`jitbot console --fresh`); returns the problem, if any. */
  prepare?: () => Promise<string | undefined>;
  /** Whether this process serves the pipelines (their settings are read when the policy has `pipelines:`). */
  pipelines: boolean;
  log: { level: string; file?: string };
  /** The process's own app options, once the logger exists, and how to say that the app could not be built. */
  app(log: Logger): Promise<{ options: ProcessAppOptions; cannotBuild(error: unknown): string }>;
}

/** The app options that differ between processes; the rest come from the environment and the policy. */
export type ProcessAppOptions = Pick<AppOptions, 'redisUrl' | 'web' | 'worker' | 'workerTimings' | 'retry' | 'engine'>;

export interface Startup {
  environment: Environment;
  loaded: LoadedPolicy;
  log: ReturnType<typeof createLogger>;
  app: JitbotApp;
  /** The audit checkpoints' signing key, loaded (or generated) on first call. */
  auditKey(): AuditSigningKey;
}

/**
 * The one startup sequence of every jitbot process that opens Redis: environment, then (the process
 * decides what it is) policy, pipeline settings, the secrets to redact, the logger, and the app. Throws
 * a {@link StartupError} with the sentence to print when a step cannot go on.
 */
export async function startUp(env: NodeJS.ProcessEnv, planFor: (environment: Environment) => ProcessPlan): Promise<Startup> {
  const environment = readEnvironment(env);
  const plan = planFor(environment);
  const loaded = loadStartupPolicy(env, plan.policy);
  const problem = await plan.prepare?.();
  if (problem) throw new StartupError(problem);
  // Pipelines (policy `pipelines:` / `deploymentProtection:`) need their own settings.
  const pipelines = plan.pipelines ? configured(() => loadPipelineConfig(env, loaded.policy)) : undefined;
  const secrets = [...secretValues(environment), ...loaded.secrets, ...pipelineSecrets(pipelines)];
  let log: ReturnType<typeof createLogger>;
  try {
    log = createLogger(plan.log.level, () => secrets, plan.log.file ? { file: plan.log.file } : {});
  } catch (error) {
    if (!plan.log.file) throw error;
    throw new StartupError(
      `jitbot: cannot write the console's log ${plan.log.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)} (set JITBOT_DATA_DIR to a writable directory)`,
    );
  }
  let key: AuditSigningKey | undefined;
  const dataDir = path.resolve(environment.dataDir);
  const auditKey = (): AuditSigningKey =>
    (key ??= loadAuditSigningKey({ pem: environment.auditSigningKeyPem, file: loaded.policy.settings.audit.signingKeyFile, dataDir, log }));
  const own = await plan.app(log);
  const { buildApp } = await import('../app/build-app.js');
  const app = await buildApp({
    policy: loaded.policy,
    issuerFactories: builtinIssuerFactories(),
    log,
    ...(environment.redisUrl ? { redisUrl: environment.redisUrl } : {}),
    dataDir,
    prefix: environment.keyPrefix,
    ...(environment.secretKeyHex ? { secretKeyHex: environment.secretKeyHex } : {}),
    ...(pipelines ? { pipelines } : {}),
    auditSigningKey: auditKey,
    ...own.options,
  }).catch((error: unknown) => {
    throw new StartupError(own.cannotBuild(error));
  });
  return { environment, loaded, log, app, auditKey };
}

/** The environment, or a {@link StartupError} naming every bad variable. */
export function readEnvironment(env: NodeJS.ProcessEnv): Environment {
  return configured(() => loadEnvironment(env));
}

/** Runs a config loader; its {@link ConfigError} becomes a {@link StartupError}. */
export function configured<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof ConfigError) throw new StartupError(`jitbot: ${error.message}`);
    throw error;
  }
}

/**
 * The policy named by JITBOT_POLICY, or ./jitbot.yaml, or the built-in demo policy; a
 * {@link StartupError} with every problem. The demo policy stands in for a missing ./jitbot.yaml only
 * where `allowDemo` says so (the console, the operator commands); `JITBOT_POLICY=demo` asks for it anywhere.
 */
export function loadStartupPolicy(env: NodeJS.ProcessEnv, options: { allowDemo?: boolean; who?: string } = {}): LoadedPolicy {
  const resolved = resolvePolicyPath(env);
  const factories = builtinIssuerFactories();
  const asked = wantsDemoPolicy(env);
  if (!asked && !resolved.exists && resolved.named) throw new StartupError(`jitbot: the policy file ${resolved.path} (JITBOT_POLICY) does not exist.`);
  if (!asked && !resolved.exists && options.allowDemo === false) throw new StartupError(noPolicyMessage(options.who ?? '`jitbot start`', resolved.path));
  const demo = asked || !resolved.exists;
  const result = demo ? loadPolicy({ text: DEMO_POLICY_YAML, name: 'built-in demo policy' }, { env, issuerFactories: factories }) : loadPolicy({ path: resolved.path }, { env, issuerFactories: factories });
  if (!result.ok) {
    throw new StartupError(
      [`jitbot: the policy ${demo ? '(built-in demo)' : resolved.path} has ${result.problems.length} problem(s):`, ...result.problems.map((p) => `  ${formatProblem(p)}`)].join('\n'),
    );
  }
  const source = asked ? `built-in demo policy (JITBOT_POLICY=${DEMO_POLICY_NAME})` : demo ? 'built-in demo policy' : resolved.path;
  return { policy: result.policy, secrets: result.secrets, source, demo: demo && !asked };
}

function noPolicyMessage(what: string, path: string): string {
  return [
    `jitbot: ${what} needs a policy file: ${path} does not exist and JITBOT_POLICY is not set.`,
    'The built-in demo policy serves only the console (its people have no Slack or Teams ids).',
    `Write your policy to ${path} (\`jitbot init\` writes the demo policy there to start from) or name it with JITBOT_POLICY;`,
    `JITBOT_POLICY=${DEMO_POLICY_NAME} serves the built-in demo policy anyway.`,
  ].join('\n');
}
