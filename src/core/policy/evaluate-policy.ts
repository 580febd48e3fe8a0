import { DEPLOYMENT_REQUESTER_PREFIX, PIPELINE_REQUESTER_PREFIX, type PipelineContext } from '../domain/access-request.js';
import { closestName } from '../domain/closest-name.js';
import { JitError } from '../domain/errors.js';
import { formatDuration, parseDuration } from '../domain/duration.js';
import { groupNamed, personNamed, pipelineNamed, resourceNamed } from './policy-lookup.js';
import type { DeploymentGate, PipelinePrincipal, PipelineProvider, Policy, Resource } from './policy-schema.js';

/** The platforms a person can be known by. */
export type Platform = 'slack' | 'teams';

const GROUP_PREFIX = 'group:';

/**
 * Expands `alice` / `group:sre` / `pipeline:deploy` references into the set of requester names they
 * denote (a pipeline's requester name is its reference, `pipeline:deploy`).
 */
export function membersOf(policy: Policy, refs: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const ref of refs) {
    if (ref.startsWith(GROUP_PREFIX)) {
      for (const person of groupNamed(policy, ref.slice(GROUP_PREFIX.length)) ?? []) out.add(person);
    } else if (ref.startsWith(PIPELINE_REQUESTER_PREFIX)) {
      if (pipelineNamed(policy, ref.slice(PIPELINE_REQUESTER_PREFIX.length))) out.add(ref);
    } else if (personNamed(policy, ref)) {
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
  const resource = resourceNamed(policy, resourceName);
  if (resource === undefined) return false;
  // A deployment gate asks for the resource its environment is mapped to, and only that one.
  if (person.startsWith(DEPLOYMENT_REQUESTER_PREFIX)) {
    const gate = parseDeploymentRequester(person);
    return gate !== undefined && deploymentGateFor(policy, gate.repository, gate.environment)?.resource === resourceName;
  }
  return requesterSet(policy, resource).has(person);
}

/** The requester name of a gated GitHub deployment: `deployment:acme/app@production`. */
export function deploymentRequester(repository: string, environment: string): string {
  return `${DEPLOYMENT_REQUESTER_PREFIX}${repository}@${environment}`;
}

function parseDeploymentRequester(requester: string): { repository: string; environment: string } | undefined {
  const rest = requester.slice(DEPLOYMENT_REQUESTER_PREFIX.length);
  const at = rest.indexOf('@'); // repository names cannot contain "@"; environment names may
  return at > 0 ? { repository: rest.slice(0, at), environment: rest.slice(at + 1) } : undefined;
}

/** The first `deploymentProtection` entry for this repository and environment (GitHub compares environment names caselessly). */
export function deploymentGateFor(policy: Policy, repository: string, environment: string): DeploymentGate | undefined {
  return policy.deploymentProtection.find(
    (gate) =>
      gate.environment.toLowerCase() === environment.toLowerCase() &&
      (gate.repositories === undefined || gate.repositories.some((pattern) => globMatches(pattern, repository, true))),
  );
}

// Names (repositories, projects, owners, environments) compare caselessly, as GitHub and GitLab do; refs
// and workflow paths do not: a branch "MAIN" is not "main", and matching it as such would let anyone
// who can push a branch pass as the protected one.
const CASELESS_CLAIMS = new Set(['repository', 'repository_owner', 'project_path', 'namespace_path', 'environment']);

/** Whether a pipeline principal's claim patterns all match a verified token's claims. */
export function pipelineMatches(pipeline: PipelinePrincipal, provider: PipelineProvider, claims: Readonly<Record<string, unknown>>): boolean {
  if (pipeline.provider !== provider) return false;
  return Object.entries(pipeline.claims).every(([claim, patterns]) => {
    const value = claims[claim];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return false;
    return patterns.some((pattern) => globMatches(pattern, String(value), CASELESS_CLAIMS.has(claim)));
  });
}

/** The `pipelines:` entries a verified token matches, in policy order, as requester names (`pipeline:<name>`). */
export function matchingPipelines(policy: Policy, provider: PipelineProvider, claims: Readonly<Record<string, unknown>>): string[] {
  return Object.entries(policy.pipelines)
    .filter(([, pipeline]) => pipelineMatches(pipeline, provider, claims))
    .map(([name]) => `${PIPELINE_REQUESTER_PREFIX}${name}`);
}

/** `*` matches any run of characters (slashes included); everything else is literal. */
export function globMatches(pattern: string, value: string, caseless: boolean): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, caseless ? 'is' : 's').test(value);
}

/**
 * The person in the policy who triggered a pipeline run: their `github` login is the run's actor
 * (GitHub), or their `email` is the run's `user_email` (GitLab). Undefined when nobody matches.
 */
export function triggeringPerson(policy: Policy, pipeline: PipelineContext | undefined): string | undefined {
  if (!pipeline?.actor) return undefined;
  const actor = pipeline.actor.toLowerCase();
  const email = pipeline.actorEmail?.toLowerCase();
  for (const [name, person] of Object.entries(policy.people)) {
    if (pipeline.provider === 'github' && person.github?.toLowerCase() === actor) return name;
    if (pipeline.provider === 'gitlab' && email && person.email?.toLowerCase() === email) return name;
  }
  return undefined;
}

/** Whether jitbot can tell if this person triggered the run: the identity the provider names must be in the policy. */
function canRecognise(policy: Policy, person: string, pipeline: PipelineContext): boolean {
  const entry = personNamed(policy, person);
  return pipeline.provider === 'github' ? entry?.github !== undefined : pipeline.actorEmail !== undefined && entry?.email !== undefined;
}

/** Resource names this person may request, sorted. */
export function requestableResources(policy: Policy, person: string): string[] {
  return Object.keys(policy.resources)
    .filter((name) => mayRequest(policy, person, name))
    .sort();
}

/** Returns the resource or a typed error listing what the person may request instead. */
export function resourceForRequest(policy: Policy, person: string, resourceName: string): Resource {
  const resource = resourceNamed(policy, resourceName);
  const allowed = requestableResources(policy, person);
  const list = allowed.length ? `You may request: ${allowed.join(', ')}.` : 'You may not request any resource.';
  if (!resource) {
    const guess = closestName(resourceName, allowed.length ? allowed : Object.keys(policy.resources));
    throw new JitError('POLICY.UNKNOWN_RESOURCE', `There is no resource "${clip(resourceName)}".${guess ? ` Did you mean ${guess}?` : ''} ${list}`);
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

/**
 * Checks the reason against the resource's rules (required, ticket pattern). `durationMs` (the one
 * asked for, already checked) goes into the example, so the example is a command that works.
 */
export function checkReason(resourceName: string, resource: Resource, reason: string, durationMs?: number): void {
  if (resource.reason === 'required' && reason.trim() === '') {
    const hint = resource.ticket ? ` matching ${resource.ticket}` : '';
    const example = formatDuration(durationMs ?? Math.max(Math.min(resource.defaultDuration ?? 60 * 60_000, resource.maxDuration), resource.minDuration ?? 0));
    throw new JitError('POLICY.REASON_REQUIRED', `${resourceName} needs a reason${hint}, e.g. /jit request ${resourceName} ${example} fixing INC-7.`);
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

/**
 * People who may approve this request: the resource's approvers without the requester, and, for a
 * pipeline's request, without the person who triggered the run and anyone jitbot cannot tell apart
 * from them (see {@link checkMayApprove}).
 */
export function eligibleApprovers(policy: Policy, resource: Resource, requester: string, pipeline?: PipelineContext): string[] {
  const pool = [...membersOf(policy, resource.approvers)].filter((p) => p !== requester);
  if (!pipeline?.actor) return pool.sort();
  const triggeredBy = triggeringPerson(policy, pipeline);
  return pool.filter((p) => p !== triggeredBy && canRecognise(policy, p, pipeline)).sort();
}

/**
 * Throws unless `approver` may approve (or deny) `requester`'s request on this resource, right now.
 * A pipeline's request is never approved by the person who triggered its run; so that jitbot can tell,
 * approvers of such requests need their GitHub login (GitLab username or email) in the policy.
 */
export function checkMayApprove(
  policy: Policy,
  resourceName: string,
  approver: string,
  requester: string,
  pipeline?: { context: PipelineContext | undefined; action: 'approve' | 'deny' },
): void {
  if (approver === requester) {
    throw new JitError('POLICY.SELF_APPROVAL', 'You cannot approve or deny your own request.');
  }
  const resource = resourceNamed(policy, resourceName);
  if (!resource || !membersOf(policy, resource.approvers).has(approver)) {
    throw new JitError('POLICY.NOT_APPROVER', `You are not an approver for ${resourceName}.`);
  }
  const context = pipeline?.context;
  if (!context?.actor || pipeline?.action !== 'approve') return;
  if (triggeringPerson(policy, context) === approver) {
    throw new JitError('POLICY.SELF_APPROVAL', `You triggered this ${context.provider === 'github' ? 'GitHub' : 'GitLab'} run (as ${context.actor}), so you cannot approve its request; another approver must.`);
  }
  if (!canRecognise(policy, approver, context)) {
    const what = context.provider === 'github' ? `GitHub login as people.${approver}.github` : `GitLab account's email as people.${approver}.email`;
    throw new JitError(
      'POLICY.NOT_APPROVER',
      `jitbot cannot tell whether you triggered this ${context.provider === 'github' ? 'GitHub' : 'GitLab'} run, so you cannot approve it yet: ask an admin to add your ${what} in the policy.`,
    );
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
