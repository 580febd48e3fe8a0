import { DEPLOYMENT_REQUESTER_PREFIX, PIPELINE_REQUESTER_PREFIX } from '../domain/access-request.js';
import { JitError } from '../domain/errors.js';
import type { Policy, Resource } from './policy-schema.js';

/** The window `requestsPerMinute` counts over. */
export const RATE_WINDOW_MS = 60_000;

/**
 * One limit the store enforces in the same atomic step that creates a request: fewer than `limit`
 * open requests, or fewer than `limit` requests made in the last minute, by the request's requester,
 * counted over all resources (`scope: 'requester'`) or over the request's resource alone.
 */
export interface LimitCheck {
  kind: 'open' | 'perMinute';
  scope: 'requester' | 'resource';
  limit: number;
}

/** What the store found when a limit refused a request. */
export interface LimitUsage {
  count: number;
  /** When the per-minute window has room again (0 for open limits: that depends on people). */
  retryAfterMs: number;
}

/**
 * The limits a new request of this resource must fit. A resource's own `limits` replace the settings
 * for requests of that resource and count that resource's requests only. Deployment gates have none:
 * GitHub asks once per deployment job, and refusing one would only fail the deployment.
 */
export function requestLimits(policy: Policy, resource: Resource, requester: string): LimitCheck[] {
  if (requester.startsWith(DEPLOYMENT_REQUESTER_PREFIX)) return [];
  const openKey = requester.startsWith(PIPELINE_REQUESTER_PREFIX) ? 'openPerPipeline' : 'openPerRequester';
  const settings = policy.settings.limits;
  const own = resource.limits ?? {};
  const pick = (kind: LimitCheck['kind'], key: 'openPerRequester' | 'openPerPipeline' | 'requestsPerMinute'): LimitCheck => {
    const local = own[key];
    return local !== undefined ? { kind, scope: 'resource', limit: local } : { kind, scope: 'requester', limit: settings[key] };
  };
  return [pick('open', openKey), pick('perMinute', 'requestsPerMinute')];
}

/** The refusal a person (or a pipeline's log) reads: which limit, and when asking again can work. */
export function limitReached(check: LimitCheck, usage: LimitUsage, resourceName: string, requester: string): JitError {
  const forResource = check.scope === 'resource';
  const retryAfterSeconds = check.kind === 'perMinute' ? Math.max(1, Math.ceil(usage.retryAfterMs / 1000)) : 60;
  const details = { kind: check.kind, scope: check.scope, limit: check.limit, count: usage.count, retryAfterSeconds };
  if (check.kind === 'perMinute') {
    return new JitError(
      'POLICY.LIMIT_REACHED',
      `${check.limit} request${check.limit === 1 ? '' : 's'} a minute ${forResource ? `of ${resourceName} ` : ''}is the limit; try again in ${retryAfterSeconds} s.`,
      { details },
    );
  }
  const pipeline = requester.startsWith(PIPELINE_REQUESTER_PREFIX);
  const open = `${usage.count} open ${forResource ? `${resourceName} ` : ''}request${usage.count === 1 ? '' : 's'}`;
  const limit = forResource ? `the limit for ${resourceName}` : `the limit is ${check.limit}`;
  return new JitError(
    'POLICY.LIMIT_REACHED',
    pipeline
      ? `${requester} has ${open} (${limit}); release one (jitbot release) or wait until one ends, then ask again.`
      : `You have ${open} (${limit}); finish or cancel one (/jit list shows them), then ask again.`,
    { details },
  );
}
