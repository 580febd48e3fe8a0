import { parseDuration } from '../core/domain/duration.js';
import type { PathSegments } from './policy-problem.js';

/**
 * The policy document as written (interpolated, not yet validated), for the cross-checks: they work
 * on it so that one run lists every problem, skipping parts of the wrong shape (the schema reports those).
 */
export type RawMap = Record<string, unknown>;

/** Records one problem at a place in the policy file. */
export type Report = (segments: PathSegments, message: string) => void;

export const GROUP_PREFIX = 'group:';
export const PIPELINE_PREFIX = 'pipeline:';

export const isMap = (value: unknown): value is RawMap => value !== null && typeof value === 'object' && !Array.isArray(value);
export const mapOf = (value: unknown): RawMap => (isMap(value) ? value : {});

/** A duration as written ("30m"), in ms; undefined when it is missing or does not parse (the schema says so). */
export function durationOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}
