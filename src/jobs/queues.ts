import { z } from 'zod';
import { RequestIdSchema } from '../core/domain/access-request.js';

/** Queue names. Revocations have a queue of their own so nothing else can delay them. */
export const QUEUES = {
  issue: 'issue',
  revoke: 'revoke',
  lifecycle: 'lifecycle',
  notify: 'notify',
  maintenance: 'maintenance',
} as const;

export const RequestJobSchema = z.object({ requestId: RequestIdSchema });
export const ReannounceJobSchema = z.object({ requestId: RequestIdSchema, round: z.number().int().positive() });

export const ReconcileJobSchema = z.object({
  scope: z.enum(['full', 'due']).default('full'),
  horizonMs: z.number().int().positive().optional(),
});

export const NotificationSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('card'), requestId: RequestIdSchema }),
  z.object({
    kind: z.literal('dm'),
    requestId: RequestIdSchema,
    person: z.string(),
    message: z.enum([
      'received',
      'active',
      'denied',
      'expiring',
      'ended',
      'failed',
      'timed_out',
      'reannounce',
      'revoke_failed',
      'extension_approved',
      'extension_denied',
    ]),
    sealedSecret: z.string().optional(),
  }),
  z.object({
    kind: z.literal('notice'),
    requestId: RequestIdSchema,
    notice: z.enum(['revoke_failed', 'revoke_recovered', 'unreachable']),
    detail: z.string().optional(),
  }),
]);

/** Deterministic job ids: one job of each kind per request. BullMQ ids may not contain ':'. */
export const jobIds = {
  issue: (id: string) => `issue-${id}`,
  revoke: (id: string) => `revoke-${id}`,
  remind: (id: string) => `remind-${id}`,
  timeout: (id: string) => `timeout-${id}`,
  /** One per request: each run moves itself to the next round (see the lifecycle worker). */
  reannounce: (id: string) => `reannounce-${id}`,
};

/** Backoff of the engine's retries: exponential from `baseMs`, capped, with jitter. */
export interface RetrySettings {
  baseMs: number;
  capMs: number;
}

export const DEFAULT_RETRY: RetrySettings = { baseMs: 1000, capMs: 5 * 60_000 };

export const BACKOFF_TYPE = 'jitbot';

/** Jittered exponential backoff ("full jitter" halved): between 50 % and 100 % of the capped exponential. */
export function backoffDelay(settings: RetrySettings, attemptsMade: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined && retryAfterMs > 0) return Math.min(retryAfterMs, settings.capMs * 4);
  const exponential = Math.min(settings.capMs, settings.baseMs * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(exponential * (0.5 + Math.random() * 0.5));
}
