import { formatDuration } from '../core/domain/duration.js';
import { closestName } from '../core/domain/closest-name.js';
import type { IssuerFactory } from '../core/ports/issuer.js';
import type { PathSegments } from './policy-problem.js';
import type { PolicyReferences } from './policy-references.js';
import { durationOf, isMap, type RawMap, type Report } from './raw-policy.js';
import { zodIssuesToProblems, type SchemaProblem } from './zod-problems.js';

/** What the checks of one resource need from the rest of the policy. */
export interface ResourceCheckContext {
  report: Report;
  problems: SchemaProblem[];
  refs: PolicyReferences;
  /** The raw `issuers:` map, and the factory of each issuer whose type is known. */
  issuers: RawMap;
  issuerFactoryOf: ReadonlyMap<string, IssuerFactory>;
  /** The effective `settings.minDuration` in ms; undefined when it does not parse. */
  settingsMin: number | undefined;
}

/**
 * One resource: its issuer exists and accepts its params, its lists name known people, groups and
 * pipelines, its duration limits fit together, and its quorum can be met.
 */
export function checkResource(name: string, resource: RawMap, context: ResourceCheckContext): void {
  const at = (...rest: (string | number)[]): PathSegments => ['resources', name, ...rest];
  checkResourceIssuer(resource, at, context);
  const { refs } = context;
  let soundRefs = refs.checkRefs(resource.requesters, at('requesters'), true);
  soundRefs = refs.checkRefs(resource.approvers, at('approvers')) && soundRefs;
  const rules = Array.isArray(resource.autoApprove) ? resource.autoApprove : [];
  rules.forEach((rule: unknown, index) => {
    if (isMap(rule)) soundRefs = refs.checkRefs(rule.requesters, at('autoApprove', index, 'requesters'), true) && soundRefs;
  });
  checkDurations(resource, rules, at, context);
  // Judged only on sound lists: a misspelt group would otherwise also read as "not enough approvers".
  if (soundRefs && Array.isArray(resource.autoApprove ?? [])) checkQuorum(resource, rules, at, context);
}

function checkResourceIssuer(resource: RawMap, at: (...rest: (string | number)[]) => PathSegments, { issuers, issuerFactoryOf, report, problems }: ResourceCheckContext): void {
  if (typeof resource.issuer !== 'string') return;
  const issuerNames = Object.keys(issuers);
  if (!Object.hasOwn(issuers, resource.issuer)) {
    const guess = closestName(resource.issuer, issuerNames);
    const known = issuerNames.length ? `issuers: ${issuerNames.join(', ')}` : 'no issuers are defined under issuers:';
    report(at('issuer'), `unknown issuer "${resource.issuer}" (${guess ? `did you mean "${guess}"? ` : ''}${known})`);
    return;
  }
  const factory = issuerFactoryOf.get(resource.issuer);
  const params = resource.params === undefined ? {} : resource.params;
  if (!factory || !isMap(params)) return;
  const parsed = factory.paramsSchema.safeParse(params);
  if (!parsed.success) problems.push(...zodIssuesToProblems(parsed.error.issues, factory.paramsSchema, params, at('params'), `issuer type ${factory.type} takes no params`));
}

/** Duration limits: default ≤ max, and both (and every auto-approval rule's max) at least the effective minimum. */
function checkDurations(resource: RawMap, rules: unknown[], at: (...rest: (string | number)[]) => PathSegments, { report, settingsMin }: ResourceCheckContext): void {
  const maxMs = durationOf(resource.maxDuration);
  const defaultMs = durationOf(resource.defaultDuration);
  const ownMin = resource.minDuration === undefined ? 0 : durationOf(resource.minDuration);
  const minMs = settingsMin === undefined || ownMin === undefined ? undefined : Math.max(settingsMin, ownMin);
  const minSource = ownMin !== undefined && settingsMin !== undefined && ownMin > settingsMin ? 'minDuration of this resource' : 'settings.minDuration';
  const belowMin = (ms: number): string => `${formatDuration(ms)} is shorter than the minimum duration ${formatDuration(minMs ?? 0)} (${minSource})`;
  if (defaultMs !== undefined && maxMs !== undefined && defaultMs > maxMs) {
    report(at('defaultDuration'), `${formatDuration(defaultMs)} is longer than maxDuration (${formatDuration(maxMs)})`);
  }
  if (minMs === undefined) return;
  if (defaultMs !== undefined && defaultMs < minMs) report(at('defaultDuration'), belowMin(defaultMs));
  if (maxMs !== undefined && maxMs < minMs) report(at('maxDuration'), belowMin(maxMs));
  rules.forEach((rule: unknown, index) => {
    const ruleMax = isMap(rule) ? durationOf(rule.maxDuration) : undefined;
    if (ruleMax !== undefined && ruleMax < minMs) report(at('autoApprove', index, 'maxDuration'), `this rule can never apply: ${belowMin(ruleMax)}`);
  });
}

/** Quorum: enough distinct approvers for every requester who needs a human, the requester never counting. */
function checkQuorum(resource: RawMap, rules: unknown[], at: (...rest: (string | number)[]) => PathSegments, { report, refs }: ResourceCheckContext): void {
  const approvals = resource.approvals === undefined ? 1 : resource.approvals;
  if (typeof approvals !== 'number' || !Number.isInteger(approvals) || approvals <= 0) return;
  const approvers = resource.approvers === undefined ? new Set<string>() : refs.expand(resource.approvers);
  const requesters = resource.requesters === undefined ? new Set(refs.personNames) : refs.expand(resource.requesters);
  if (!approvers || !requesters) return;
  const maxMs = durationOf(resource.maxDuration);
  // A requester whom a rule auto-approves for any duration they may ask never needs a human.
  const alwaysAutoApproved = (person: string): boolean =>
    rules.some((rule: unknown) => {
      if (!isMap(rule) || !refs.expand(rule.requesters)?.has(person)) return false;
      if (rule.maxDuration === undefined) return true;
      const ruleMax = durationOf(rule.maxDuration);
      return ruleMax !== undefined && maxMs !== undefined && ruleMax >= maxMs;
    });
  const needing = [...requesters].filter((person) => !alwaysAutoApproved(person)).sort();
  if (needing.length === 0) return;
  const byDefault = resource.approvals === undefined ? ' (approvals defaults to 1)' : '';
  const needs = `needs ${approvals} distinct approver${approvals === 1 ? '' : 's'}${byDefault}`;
  const approverList = [...approvers].sort();
  if (approverList.length < approvals) {
    report(at('approvals'), approverList.length === 0 ? `${needs} but approvers names no one` : `${needs} but approvers names only ${approverList.length} (${approverList.join(', ')})`);
    return;
  }
  let worst: { requester: string; remaining: string[] } | undefined;
  for (const requester of needing) {
    const remaining = approverList.filter((person) => person !== requester);
    if (remaining.length < approvals && (worst === undefined || remaining.length < worst.remaining.length)) worst = { requester, remaining };
  }
  if (worst) {
    const n = worst.remaining.length;
    const rest = n === 0 ? 'no other approver remains' : `only ${n} other approver${n === 1 ? ' remains' : 's remain'} (${worst.remaining.join(', ')})`;
    report(at('approvals'), `${needs} but when ${worst.requester} requests ${rest}`);
  }
}
