import { durationLimits, eligibleApprovers, isAdmin, membersOf, requesterSet, type DurationLimits } from '../core/policy/evaluate-policy.js';
import { issuerNamed, personNamed, resourceNamed } from '../core/policy/policy-lookup.js';
import type { Policy } from '../core/policy/policy-schema.js';

/** An auto-approval rule as it applies to one person. */
export interface AutoApprovalForPerson {
  /** Index in the resource's `autoApprove` list. */
  rule: number;
  requesters: string[];
  /** Requests up to this long are approved at once by this rule. */
  upToMs: number;
}

/** Everything policy says about one person and one resource, for `jitbot check --explain`. */
export interface AccessExplanation {
  person: string;
  resource: string;
  description: string;
  issuer: { name: string; type: string | undefined };
  mayRequest: boolean;
  /** The resource's `requesters` references, or undefined when everyone in `people` may request. */
  requesterRefs: string[] | undefined;
  /** Everyone who may request, sorted. */
  requesters: string[];
  isAdmin: boolean;
  /** Who may approve this person's request (the person excluded), sorted. */
  approvers: string[];
  /** Whether the person is an approver of the resource (and so excluded from their own). */
  personIsApprover: boolean;
  approvals: number;
  limits: DurationLimits;
  reason: 'required' | 'optional';
  ticket: string | undefined;
  /** Rules that would auto-approve this person, in the order they are tried. */
  autoApproval: AutoApprovalForPerson[];
}

/** What `person` may do with `resourceName`, or undefined when either is not in the policy. */
export function explainAccess(policy: Policy, person: string, resourceName: string): AccessExplanation | undefined {
  const resource = resourceNamed(policy, resourceName);
  if (!resource || !personNamed(policy, person)) return undefined;
  const limits = durationLimits(policy, resource);
  const requesters = [...requesterSet(policy, resource)].sort();
  const autoApproval: AutoApprovalForPerson[] = [];
  resource.autoApprove.forEach((rule, index) => {
    if (!membersOf(policy, rule.requesters).has(person)) return;
    const upToMs = Math.min(rule.maxDuration ?? limits.maxMs, limits.maxMs);
    if (upToMs >= limits.minMs) autoApproval.push({ rule: index, requesters: rule.requesters, upToMs });
  });
  return {
    person,
    resource: resourceName,
    description: resource.description,
    issuer: { name: resource.issuer, type: issuerNamed(policy, resource.issuer)?.type },
    mayRequest: requesters.includes(person),
    requesterRefs: resource.requesters,
    requesters,
    isAdmin: isAdmin(policy, person),
    approvers: eligibleApprovers(policy, resource, person),
    personIsApprover: membersOf(policy, resource.approvers).has(person),
    approvals: resource.approvals,
    limits,
    reason: resource.reason,
    ticket: resource.ticket,
    autoApproval,
  };
}
