import { ConfigError } from './config-error.js';

/** Worker, retry and engine timings an operator may tune; each part is absent when its variables are unset. */
export interface EngineTuning {
  workerTimings: { lockDurationMs?: number; stalledIntervalMs?: number; reconcileEveryMs?: number };
  retry?: { baseMs: number; capMs: number };
  engine: { revokeFailedAfterAttempts?: number; issueMaxAttempts?: number; checkpointEveryEvents?: number; checkpointEveryMs?: number };
}

/**
 * Advanced timings, for operators who need faster failover and for tests that kill workers:
 * JITBOT_LOCK_DURATION_MS, JITBOT_STALLED_INTERVAL_MS, JITBOT_RECONCILE_EVERY_MS, JITBOT_RETRY_BASE_MS,
 * JITBOT_RETRY_CAP_MS, JITBOT_REVOKE_FAILED_AFTER (attempts), JITBOT_ISSUE_MAX_ATTEMPTS, JITBOT_AUDIT_CHECKPOINT_EVERY
 * (events) and JITBOT_AUDIT_CHECKPOINT_EVERY_MS. Read apart from
 * {@link loadEnvironment} because only the server processes use them, after their policy is loaded.
 * Throws a {@link ConfigError} naming the first bad variable.
 */
export function loadEngineTuning(env: NodeJS.ProcessEnv): EngineTuning {
  const num = (name: string): number | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') return undefined;
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new ConfigError([{ variable: name, message: `must be a positive whole number (got "${raw.slice(0, 20)}")` }]);
    return value;
  };
  const lock = num('JITBOT_LOCK_DURATION_MS');
  const stalled = num('JITBOT_STALLED_INTERVAL_MS');
  const reconcile = num('JITBOT_RECONCILE_EVERY_MS');
  const base = num('JITBOT_RETRY_BASE_MS');
  const cap = num('JITBOT_RETRY_CAP_MS');
  const failedAfter = num('JITBOT_REVOKE_FAILED_AFTER');
  const issueAttempts = num('JITBOT_ISSUE_MAX_ATTEMPTS');
  const checkpointEvents = num('JITBOT_AUDIT_CHECKPOINT_EVERY');
  const checkpointMs = num('JITBOT_AUDIT_CHECKPOINT_EVERY_MS');
  return {
    workerTimings: {
      ...(lock ? { lockDurationMs: lock } : {}),
      ...(stalled ? { stalledIntervalMs: stalled } : {}),
      ...(reconcile ? { reconcileEveryMs: reconcile } : {}),
    },
    ...(base || cap ? { retry: { baseMs: base ?? 1000, capMs: cap ?? 300_000 } } : {}),
    engine: {
      ...(failedAfter ? { revokeFailedAfterAttempts: failedAfter } : {}),
      ...(issueAttempts ? { issueMaxAttempts: issueAttempts } : {}),
      ...(checkpointEvents ? { checkpointEveryEvents: checkpointEvents } : {}),
      ...(checkpointMs ? { checkpointEveryMs: checkpointMs } : {}),
    },
  };
}
