import { formatDuration, parseDuration } from '../core/domain/duration.js';
import { ownEntry } from '../core/policy/policy-lookup.js';
import type { IssuerFactory } from '../core/ports/issuer.js';
import { closestName } from '../core/domain/closest-name.js';
import type { PathSegments } from './policy-problem.js';
import { zodIssuesToProblems, type SchemaProblem } from './zod-problems.js';

/** SPEC: `settings.minDuration` "may be set as low as 10s (tests, demos)". */
export const LOWEST_MIN_DURATION_MS = 10_000;
const DEFAULT_MIN_DURATION_MS = 60_000;
const GROUP_PREFIX = 'group:';
const PIPELINE_PREFIX = 'pipeline:';
const PLATFORM_IDS = [
  { field: 'slack', label: 'Slack id', caseless: false },
  { field: 'teams', label: 'Teams id', caseless: true },
  { field: 'github', label: 'GitHub login', caseless: true },
] as const;

type RawMap = Record<string, unknown>;
const NAME_MAPS = ['people', 'groups', 'issuers', 'resources', 'pipelines'] as const;
const isMap = (value: unknown): value is RawMap => value !== null && typeof value === 'object' && !Array.isArray(value);
const mapOf = (value: unknown): RawMap => (isMap(value) ? value : {});

/**
 * The checks a schema cannot make: every name used is defined, issuers exist and accept their
 * settings and params, quorums can be met, duration limits fit together, platform ids are unique.
 * Works on the raw (interpolated) document, tolerating parts the schema rejects, so that one run
 * lists every problem; parts of the wrong shape are skipped here (the schema reports them).
 */
export function crossCheckPolicy(raw: unknown, issuerFactories: ReadonlyMap<string, IssuerFactory>): SchemaProblem[] {
  if (!isMap(raw)) return [];
  const problems: SchemaProblem[] = [];
  const report = (segments: PathSegments, message: string): void => void problems.push({ segments, message });

  // A name the schema would drop without a word (zod skips "__proto__" keys): say so, or the entry
  // would vanish from the policy that runs.
  for (const section of NAME_MAPS) {
    if (isMap(raw[section]) && Object.hasOwn(raw[section], '__proto__')) {
      report([section, '__proto__'], `"__proto__" cannot be a name under ${section}: JavaScript reserves it; choose another name`);
    }
  }

  const people = mapOf(raw.people);
  const personNames = new Set(Object.keys(people));
  const rawGroups = mapOf(raw.groups);
  const groupNames = new Set(Object.keys(rawGroups));
  // When `people` or `groups` is not a map, every name would look unknown: the schema's one problem says enough.
  const peopleListed = isMap(raw.people);
  const groupsListed = raw.groups === undefined || isMap(raw.groups);
  const pipelineNames = new Set(Object.keys(mapOf(raw.pipelines)));
  const pipelinesListed = raw.pipelines === undefined || isMap(raw.pipelines);
  const unknownPipeline = (name: string): string => {
    const guess = closestName(name, pipelineNames);
    const known = pipelineNames.size ? `pipelines: ${[...pipelineNames].sort().join(', ')}` : 'no pipelines are defined under pipelines:';
    return `unknown pipeline "${name}" (${guess ? `did you mean "${PIPELINE_PREFIX}${guess}"? ` : ''}${known})`;
  };

  const unknownPerson = (name: string): string => {
    if (groupNames.has(name)) return `unknown person "${name}" (there is a group "${name}": write ${GROUP_PREFIX}${name})`;
    const guess = closestName(name, personNames);
    return `unknown person "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`;
  };
  const unknownGroup = (name: string): string => {
    if (personNames.has(name)) return `unknown group "${name}" (${name} is a person: write ${name})`;
    const guess = closestName(name, groupNames);
    return `unknown group "${name}"${guess ? ` (did you mean "${GROUP_PREFIX}${guess}"?)` : ''}`;
  };

  // Groups list people (a group of groups is not a thing membersOf understands).
  const groups = new Map<string, Set<string>>();
  // Groups that are not what they were meant to be: counting approvers through them would mislead.
  const brokenGroups = new Set<string>();
  for (const [group, members] of Object.entries(rawGroups)) {
    const known = new Set<string>();
    groups.set(group, known);
    if (!Array.isArray(members)) {
      brokenGroups.add(group);
      continue;
    }
    members.forEach((member: unknown, index) => {
      if (typeof member !== 'string' || !peopleListed) return brokenGroups.add(group);
      if (member.startsWith(GROUP_PREFIX)) report(['groups', group, index], `a group lists people, not groups ("${member}")`);
      else if (member.startsWith(PIPELINE_PREFIX)) report(['groups', group, index], `a group lists people, not pipelines ("${member}"): name the pipeline in requesters directly`);
      else if (!personNames.has(member)) report(['groups', group, index], unknownPerson(member));
      else return known.add(member);
      return brokenGroups.add(group);
    });
  }

  /**
   * Reports unknown references in a requesters/approvers/admins list; true when every one is sound.
   * Pipelines may request (`requesters`, auto-approval rules) but never approve or administer.
   */
  const checkRefs = (refs: unknown, segments: PathSegments, pipelinesAllowed = false): boolean => {
    if (!Array.isArray(refs)) return refs === undefined;
    let sound = true;
    refs.forEach((ref: unknown, index) => {
      if (typeof ref !== 'string' || ref === '') {
        sound = false;
      } else if (ref.startsWith(PIPELINE_PREFIX)) {
        const name = ref.slice(PIPELINE_PREFIX.length);
        if (!pipelinesAllowed) {
          report([...segments, index], `a pipeline cannot ${segments.includes('admins') ? 'be an admin' : 'approve'} ("${ref}"); only people can`);
          sound = false;
        } else if (pipelinesListed && !pipelineNames.has(name)) {
          report([...segments, index], unknownPipeline(name));
          sound = false;
        }
      } else if (ref.startsWith(GROUP_PREFIX) ? !groupsListed : !peopleListed) {
        sound = false;
      } else if (ref.startsWith(GROUP_PREFIX)) {
        const group = ref.slice(GROUP_PREFIX.length);
        if (!groupNames.has(group)) {
          report([...segments, index], unknownGroup(group));
          sound = false;
        } else if (brokenGroups.has(group)) {
          sound = false;
        }
      } else if (!personNames.has(ref)) {
        report([...segments, index], unknownPerson(ref));
        sound = false;
      }
    });
    return sound;
  };
  /** The people a list of references denotes, or undefined when the list is not a list. */
  const expand = (refs: unknown): Set<string> | undefined => {
    if (!Array.isArray(refs)) return undefined;
    const out = new Set<string>();
    for (const ref of refs) {
      if (typeof ref !== 'string') continue;
      if (ref.startsWith(GROUP_PREFIX)) for (const person of groups.get(ref.slice(GROUP_PREFIX.length)) ?? []) out.add(person);
      else if (ref.startsWith(PIPELINE_PREFIX) && pipelineNames.has(ref.slice(PIPELINE_PREFIX.length))) out.add(ref);
      else if (personNames.has(ref)) out.add(ref);
    }
    return out;
  };

  checkRefs(raw.admins, ['admins']);

  // One platform identity, one person: otherwise a click would be attributed to the wrong one.
  for (const { field, label, caseless } of PLATFORM_IDS) {
    const owners = new Map<string, string>();
    for (const [name, person] of Object.entries(people)) {
      const id = isMap(person) ? person[field] : undefined;
      if (typeof id !== 'string' || id === '') continue;
      const key = caseless ? id.toLowerCase() : id;
      const owner = owners.get(key);
      if (owner === undefined) owners.set(key, name);
      else report(['people', name, field], `${label} ${id} is also ${owner}'s; each must belong to one person`);
    }
  }

  // Issuers: a known type, and settings that type accepts.
  const issuers = mapOf(raw.issuers);
  const issuerFactoryOf = new Map<string, IssuerFactory>();
  const knownTypes = [...issuerFactories.keys()].sort();
  for (const [name, entry] of Object.entries(issuers)) {
    if (!isMap(entry) || typeof entry.type !== 'string' || entry.type === '') continue;
    const factory = issuerFactories.get(entry.type);
    if (!factory) {
      const guess = closestName(entry.type, knownTypes);
      const hint = guess ? `did you mean "${guess}"? ` : '';
      report(['issuers', name, 'type'], `unknown issuer type "${entry.type}" (${hint}known types: ${knownTypes.join(', ') || 'none'})`);
      continue;
    }
    issuerFactoryOf.set(name, factory);
    const { type: _type, ...settings } = entry;
    const parsed = factory.settingsSchema.safeParse(settings);
    if (!parsed.success) problems.push(...zodIssuesToProblems(parsed.error.issues, factory.settingsSchema, settings, ['issuers', name], `issuer type ${entry.type} takes no settings`));
  }

  // Settings.
  const settings = mapOf(raw.settings);
  const settingsMin = settings.minDuration === undefined ? DEFAULT_MIN_DURATION_MS : durationOf(settings.minDuration);
  if (settingsMin !== undefined && settingsMin < LOWEST_MIN_DURATION_MS) {
    report(['settings', 'minDuration'], `${formatDuration(settingsMin)} is below the lowest allowed minimum, ${formatDuration(LOWEST_MIN_DURATION_MS)}`);
  }

  // Resources.
  for (const [name, resource] of Object.entries(mapOf(raw.resources))) {
    if (!isMap(resource)) continue;
    const at = (...rest: (string | number)[]): PathSegments => ['resources', name, ...rest];

    if (typeof resource.issuer === 'string') {
      const issuerNames = Object.keys(issuers);
      if (!Object.hasOwn(issuers, resource.issuer)) {
        const guess = closestName(resource.issuer, issuerNames);
        const known = issuerNames.length ? `issuers: ${issuerNames.join(', ')}` : 'no issuers are defined under issuers:';
        report(at('issuer'), `unknown issuer "${resource.issuer}" (${guess ? `did you mean "${guess}"? ` : ''}${known})`);
      } else {
        const factory = issuerFactoryOf.get(resource.issuer);
        const params = resource.params === undefined ? {} : resource.params;
        if (factory && isMap(params)) {
          const parsed = factory.paramsSchema.safeParse(params);
          if (!parsed.success) problems.push(...zodIssuesToProblems(parsed.error.issues, factory.paramsSchema, params, at('params'), `issuer type ${factory.type} takes no params`));
        }
      }
    }

    let soundRefs = checkRefs(resource.requesters, at('requesters'), true);
    soundRefs = checkRefs(resource.approvers, at('approvers')) && soundRefs;
    const rules = Array.isArray(resource.autoApprove) ? resource.autoApprove : [];
    rules.forEach((rule: unknown, index) => {
      if (isMap(rule)) soundRefs = checkRefs(rule.requesters, at('autoApprove', index, 'requesters'), true) && soundRefs;
    });

    // Duration limits: default ≤ max, and both at least the effective minimum.
    const maxMs = durationOf(resource.maxDuration);
    const defaultMs = durationOf(resource.defaultDuration);
    const ownMin = resource.minDuration === undefined ? 0 : durationOf(resource.minDuration);
    const minMs = settingsMin === undefined || ownMin === undefined ? undefined : Math.max(settingsMin, ownMin);
    const minSource = ownMin !== undefined && settingsMin !== undefined && ownMin > settingsMin ? 'minDuration of this resource' : 'settings.minDuration';
    const belowMin = (ms: number): string => `${formatDuration(ms)} is shorter than the minimum duration ${formatDuration(minMs ?? 0)} (${minSource})`;
    if (defaultMs !== undefined && maxMs !== undefined && defaultMs > maxMs) {
      report(at('defaultDuration'), `${formatDuration(defaultMs)} is longer than maxDuration (${formatDuration(maxMs)})`);
    }
    if (minMs !== undefined) {
      if (defaultMs !== undefined && defaultMs < minMs) report(at('defaultDuration'), belowMin(defaultMs));
      if (maxMs !== undefined && maxMs < minMs) report(at('maxDuration'), belowMin(maxMs));
      rules.forEach((rule: unknown, index) => {
        const ruleMax = isMap(rule) ? durationOf(rule.maxDuration) : undefined;
        if (ruleMax !== undefined && ruleMax < minMs) report(at('autoApprove', index, 'maxDuration'), `this rule can never apply: ${belowMin(ruleMax)}`);
      });
    }

    // Quorum: enough distinct approvers for every requester, the requester never counting. Judged
    // only on sound lists: a misspelt group would otherwise also read as "not enough approvers".
    if (!soundRefs || !Array.isArray(resource.autoApprove ?? [])) continue;
    const approvals = resource.approvals === undefined ? 1 : resource.approvals;
    if (typeof approvals !== 'number' || !Number.isInteger(approvals) || approvals <= 0) continue;
    const approvers = resource.approvers === undefined ? new Set<string>() : expand(resource.approvers);
    const requesters = resource.requesters === undefined ? new Set(personNames) : expand(resource.requesters);
    if (!approvers || !requesters) continue;
    // A requester whom a rule auto-approves for any duration they may ask never needs a human.
    const alwaysAutoApproved = (person: string): boolean =>
      rules.some((rule: unknown) => {
        if (!isMap(rule) || !expand(rule.requesters)?.has(person)) return false;
        if (rule.maxDuration === undefined) return true;
        const ruleMax = durationOf(rule.maxDuration);
        return ruleMax !== undefined && maxMs !== undefined && ruleMax >= maxMs;
      });
    const needing = [...requesters].filter((person) => !alwaysAutoApproved(person)).sort();
    if (needing.length === 0) continue;
    const byDefault = resource.approvals === undefined ? ' (approvals defaults to 1)' : '';
    const needs = `needs ${approvals} distinct approver${approvals === 1 ? '' : 's'}${byDefault}`;
    const approverList = [...approvers].sort();
    if (approverList.length < approvals) {
      report(
        at('approvals'),
        approverList.length === 0
          ? `${needs} but approvers names no one`
          : `${needs} but approvers names only ${approverList.length} (${approverList.join(', ')})`,
      );
      continue;
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
  checkDeploymentGates(raw, issuers, report);
  return problems;
}

/**
 * `deploymentProtection` entries name a resource that exists and can stand for a deployment: an
 * approval-only gate (issuer type `none`: there is nobody to hand a credential to), with no ticket
 * pattern (the reason is jitbot's own sentence) and a duration within the resource's limits.
 */
function checkDeploymentGates(raw: RawMap, issuers: RawMap, report: (segments: PathSegments, message: string) => void): void {
  if (!Array.isArray(raw.deploymentProtection)) return;
  const resources = mapOf(raw.resources);
  const names = Object.keys(resources);
  raw.deploymentProtection.forEach((gate: unknown, index) => {
    if (!isMap(gate) || typeof gate.resource !== 'string') return;
    const at = (...rest: string[]): PathSegments => ['deploymentProtection', index, ...rest];
    const resource = ownEntry(resources, gate.resource);
    if (!isMap(resource)) {
      const guess = closestName(gate.resource, names);
      report(at('resource'), `unknown resource "${gate.resource}"${guess ? ` (did you mean "${guess}"?)` : ''}`);
      return;
    }
    const issuer = typeof resource.issuer === 'string' ? ownEntry(issuers, resource.issuer) : undefined;
    if (isMap(issuer) && typeof issuer.type === 'string' && issuer.type !== 'none') {
      report(at('resource'), `${gate.resource} uses issuer "${resource.issuer}" of type ${issuer.type}; a deployment gate approves a deployment and issues nothing: use a resource whose issuer has type none`);
    }
    if (resource.ticket !== undefined) {
      report(at('resource'), `${gate.resource} requires a ticket in the reason; a deployment's reason is written by jitbot, so a gated resource cannot have ticket:`);
    }
    const duration = durationOf(gate.duration);
    const max = durationOf(resource.maxDuration);
    if (duration !== undefined && max !== undefined && duration > max) {
      report(at('duration'), `${formatDuration(duration)} is longer than the maxDuration of ${gate.resource} (${formatDuration(max)})`);
    }
  });
}

function durationOf(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}
