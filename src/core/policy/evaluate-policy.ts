import { JitError } from '../domain/errors.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import type { Policy, Resource } from './policy-schema.js';

/** The platforms a person can be known by. */
export type Platform = 'slack' | 'teams';

const GROUP_PREFIX = 'group:';

/** Expands `alice` / `group:sre` references into the set of person names they denote. */
export function membersOf(policy: Policy, refs: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const ref of refs) {
    if (ref.startsWith(GROUP_PREFIX)) {
      for (const person of policy.groups[ref.slice(GROUP_PREFIX.length)] ?? []) out.add(person);
    } else if (policy.people[ref]) {
      out.add(ref);
    }
  }
  return out;
}

export function isAdmin(policy: Policy, person: string): boolean {
  return membersOf(policy, policy.admins).has(person);
}

/** The person behind a stable platform user id (Slack `U…`, Teams aadObjectId); never a display name. */
export function personByPlatformId(policy: Policy, platform: Platform, userId: string): string | undefined {
  for (const [name, person] of Object.entries(policy.people)) {
    const id = person[platform];
    if (id !== undefined && (platform === 'teams' ? id.toLowerCase() === userId.toLowerCase() : id === userId)) return name;
  }
  return undefined;
}

export function requesterSet(policy: Policy, resource: Resource): Set<string> {
  return resource.requesters ? membersOf(policy, resource.requesters) : new Set(Object.keys(policy.people));
}

export function mayRequest(policy: Policy, person: string, resourceName: string): boolean {
  const resource = policy.resources[resourceName];
  return resource !== undefined && requesterSet(policy, resource).has(person);
}

/** Resource names this person may request, sorted. */
export function requestableResources(policy: Policy, person: string): string[] {
  return Object.keys(policy.resources)
    .filter((name) => mayRequest(policy, person, name))
    .sort();
}

/** Returns the resource or a typed error listing what the person may request instead. */
export function resourceForRequest(policy: Policy, person: string, resourceName: string): Resource {
  const resource = policy.resources[resourceName];
  const allowed = requestableResources(policy, person);
  const list = allowed.length ? `You may request: ${allowed.join(', ')}.` : 'You may not request any resource.';
  if (!resource) {
    throw new JitError('POLICY.UNKNOWN_RESOURCE', `There is no resource "${clip(resourceName)}". ${list}`);
  }
  if (!mayRequest(policy, person, resourceName)) {
    throw new JitError('POLICY.NOT_REQUESTER', `You may not request ${resourceName}. ${list}`);
  }
  return resource;
}

export interface DurationLimits {
  minMs: number;
  maxMs: number;
  defaultMs: number;
}

export function durationLimits(policy: Policy, resource: Resource): DurationLimits {
  const minMs = Math.max(policy.settings.minDuration, resource.minDuration ?? 0);
  const maxMs = resource.maxDuration;
  const defaultMs = Math.min(resource.defaultDuration ?? Math.min(60 * 60_000, maxMs), maxMs);
  return { minMs, maxMs, defaultMs: Math.max(defaultMs, minMs) };
}

/** Parses and range-checks a requested duration; the error names the allowed range. */
export function checkDuration(policy: Policy, resourceName: string, resource: Resource, text: string | undefined): number {
  const limits = durationLimits(policy, resource);
  if (text === undefined || text === '') return limits.defaultMs;
  const range = `${resourceName} may be requested for ${formatDuration(limits.minMs)} to ${formatDuration(limits.maxMs)}`;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new JitError('INPUT.BAD_DURATION', `${(error as Error).message} ${range}.`, { cause: error });
  }
  if (ms < limits.minMs || ms > limits.maxMs) {
    throw new JitError('POLICY.DURATION_OUT_OF_RANGE', `${formatDuration(ms)} is out of range: ${range}.`);
  }
  return ms;
}

/** Checks the reason against the resource's rules (required, ticket pattern). */
export function checkReason(resourceName: string, resource: Resource, reason: string): void {
  if (resource.reason === 'required' && reason.trim() === '') {
    const hint = resource.ticket ? ` matching ${resource.ticket}` : '';
    throw new JitError('POLICY.REASON_REQUIRED', `${resourceName} needs a reason${hint}, e.g. /jit request ${resourceName} 1h fixing INC-7.`);
  }
  if (resource.ticket && reason.trim() !== '' && !new RegExp(resource.ticket).test(reason) && !reasonHasTicket(resource.ticket, reason)) {
    throw new JitError('POLICY.REASON_PATTERN', `${resourceName} needs a ticket in the reason matching ${resource.ticket}.`);
  }
}

// A pattern anchored with ^…$ is meant for the ticket, not the whole sentence: look for it word by word.
function reasonHasTicket(pattern: string, reason: string): boolean {
  const re = new RegExp(pattern);
  return reason.split(/\s+/).some((word) => re.test(word.replace(/[.,;:!?()]+$/g, '')));
}

/** People who may approve this request: the resource's approvers without the requester. */
export function eligibleApprovers(policy: Policy, resource: Resource, requester: string): string[] {
  return [...membersOf(policy, resource.approvers)].filter((p) => p !== requester).sort();
}

/** Throws unless `approver` may approve (or deny) `requester`'s request on this resource, right now. */
export function checkMayApprove(policy: Policy, resourceName: string, approver: string, requester: string): void {
  if (approver === requester) {
    throw new JitError('POLICY.SELF_APPROVAL', 'You cannot approve or deny your own request.');
  }
  const resource = policy.resources[resourceName];
  if (!resource || !membersOf(policy, resource.approvers).has(approver)) {
    throw new JitError('POLICY.NOT_APPROVER', `You are not an approver for ${resourceName}.`);
  }
}

/** The index of the first auto-approval rule that applies, if any. */
export function autoApprovalRule(policy: Policy, resource: Resource, requester: string, durationMs: number): number | undefined {
  const index = resource.autoApprove.findIndex(
    (rule) => membersOf(policy, rule.requesters).has(requester) && (rule.maxDuration === undefined || durationMs <= rule.maxDuration),
  );
  return index === -1 ? undefined : index;
}

/** How many approvals a request needs: 0 when auto-approved, the resource's number otherwise. */
export function approvalsNeeded(resource: Resource, autoApproved: boolean): number {
  return autoApproved ? 0 : resource.approvals;
}

export interface ExtensionLimits {
  max: number;
  maxTotalMs: number;
}

export function extensionLimits(resource: Resource): ExtensionLimits {
  return { max: resource.extensions.max, maxTotalMs: resource.extensions.maxTotal ?? resource.maxDuration };
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}
