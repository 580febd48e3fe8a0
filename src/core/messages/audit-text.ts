import { describeActor } from '../domain/access-request.js';
import type { AuditEvent } from '../domain/audit-event.js';
import { formatDuration } from '../domain/duration.js';
import { formatTimestamp } from '../domain/timestamp.js';

/**
 * One line per audit event, as `/jit audit` shows it. Event data keeps machine values (epoch
 * milliseconds, durations in milliseconds) for exports and the hash chain; people read them here as
 * timestamps and durations: `windowEnd=2026-12-04 19:49:05 UTC`, `duration=12s`.
 */
export function auditLine(event: AuditEvent): string {
  return `#${event.seq} ${formatTimestamp(event.at)} ${event.type} by ${describeActor(event.actor)}${summarize(event.data)}`;
}

function summarize(data: Record<string, unknown>): string {
  const parts = Object.entries(data)
    .filter(([, v]) => v !== undefined && (typeof v !== 'object' || v === null))
    .map(([k, v]) => field(k, v));
  return parts.length ? ` (${parts.join(', ')})` : '';
}

// Moments are named `…At`, `…Start`, `…End` (windowStart, windowEnd, timeoutAt); lengths of time end in `Ms`.
const MOMENT = /(?:At|Start|End)$/;
// Below this a number named like a moment is not one (an epoch millisecond value of 2001 or later is).
const EPOCH_2001 = 978_307_200_000;

function field(key: string, value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) {
    if (MOMENT.test(key) && value >= EPOCH_2001) return `${key}=${formatTimestamp(value)}`;
    if (key === 'ms') return `took=${milliseconds(value)}`;
    if (key.endsWith('Ms')) return `${key.slice(0, -2)}=${milliseconds(value)}`;
  }
  return `${key}=${String(value).slice(0, 80)}`;
}

function milliseconds(ms: number): string {
  return Math.abs(ms) < 1000 ? `${Math.round(ms)}ms` : formatDuration(ms);
}
