import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/config-error.js';
import { loadEngineTuning } from '../../../src/config/engine-tuning.js';

describe('loadEngineTuning', () => {
  it('is empty when nothing is set', () => {
    expect(loadEngineTuning({})).toEqual({ workerTimings: {}, engine: {} });
  });

  it('reads every timing, with the retry defaults filling the one not set', () => {
    expect(
      loadEngineTuning({
        JITBOT_LOCK_DURATION_MS: '2000',
        JITBOT_STALLED_INTERVAL_MS: '1000',
        JITBOT_RECONCILE_EVERY_MS: '500',
        JITBOT_RETRY_BASE_MS: '50',
        JITBOT_REVOKE_FAILED_AFTER: '3',
        JITBOT_ISSUE_MAX_ATTEMPTS: '2',
      }),
    ).toEqual({
      workerTimings: { lockDurationMs: 2000, stalledIntervalMs: 1000, reconcileEveryMs: 500 },
      retry: { baseMs: 50, capMs: 300_000 },
      engine: { revokeFailedAfterAttempts: 3, issueMaxAttempts: 2 },
    });
  });

  it.each(['0', '-5', '1.5', 'soon'])('refuses %j, naming the variable', (raw) => {
    let error: unknown;
    try {
      loadEngineTuning({ JITBOT_RETRY_CAP_MS: raw });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([{ variable: 'JITBOT_RETRY_CAP_MS', message: `must be a positive whole number (got "${raw}")` }]);
  });
});
