import { formatDuration } from '../core/domain/duration.js';
import { ownEntry } from '../core/policy/policy-lookup.js';
import type { IssuerFactory } from '../core/ports/issuer.js';
import { closestName } from '../core/domain/closest-name.js';
import { checkResource } from './check-resource.js';
import type { PathSegments } from './policy-problem.js';
import { PolicyReferences } from './policy-references.js';
import { durationOf, isMap, mapOf, type RawMap, type Report } from './raw-policy.js';
import { zodIssuesToProblems, type SchemaProblem } from './zod-problems.js';

/** SPEC: `settings.minDuration` "may be set as low as 10s (tests, demos)". */
export const LOWEST_MIN_DURATION_MS = 10_000;
const DEFAULT_MIN_DURATION_MS = 60_000;
const PLATFORM_IDS = [
  { field: 'slack', label: 'Slack id', caseless: false },
  { field: 'teams', label: 'Teams id', caseless: true },
  { field: 'github', label: 'GitHub login', caseless: true },
] as const;
const NAME_MAPS = ['people', 'groups', 'issuers', 'resources', 'pipelines'] as const;

/**
 * The checks a schema cannot make: every name used is defined, issuers exist and accept their
 * settings and params, quorums can be met, duration limits fit together, platform ids are unique.
 * Works on the raw (interpolated) document, tolerating parts the schema rejects, so that one run
 * lists every problem; parts of the wrong shape are skipped here (the schema reports them).
 * One function per section of the policy, run in the order of the file, so problems are listed in it.
 */
export function crossCheckPolicy(raw: unknown, issuerFactories: ReadonlyMap<string, IssuerFactory>): SchemaProblem[] {
  if (!isMap(raw)) return [];
  const problems: SchemaProblem[] = [];
  const report: Report = (segments, message) => void problems.push({ segments, message });

  checkReservedNames(raw, report);
  // Reading the groups reports their unknown members.
  const refs = new PolicyReferences(raw, report);
  refs.checkRefs(raw.admins, ['admins']);
  checkPlatformIds(mapOf(raw.people), report);
  const issuers = mapOf(raw.issuers);
  const issuerFactoryOf = checkIssuers(issuers, issuerFactories, report, problems);
  const settingsMin = checkSettings(mapOf(raw.settings), report);
  for (const [name, resource] of Object.entries(mapOf(raw.resources))) {
    if (isMap(resource)) checkResource(name, resource, { report, problems, refs, issuers, issuerFactoryOf, settingsMin });
  }
  checkDeploymentGates(raw, issuers, report);
  return problems;
}

/**
 * A name the schema would drop without a word (zod skips "__proto__" keys): say so, or the entry
 * would vanish from the policy that runs.
 */
function checkReservedNames(raw: RawMap, report: Report): void {
  for (const section of NAME_MAPS) {
    if (isMap(raw[section]) && Object.hasOwn(raw[section], '__proto__')) {
      report([section, '__proto__'], `"__proto__" cannot be a name under ${section}: JavaScript reserves it; choose another name`);
    }
  }
}

/** One platform identity, one person: otherwise a click would be attributed to the wrong one. */
function checkPlatformIds(people: RawMap, report: Report): void {
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
}

/** Issuers: a known type, and settings that type accepts. Returns the factory of each issuer whose type is known. */
function checkIssuers(issuers: RawMap, issuerFactories: ReadonlyMap<string, IssuerFactory>, report: Report, problems: SchemaProblem[]): Map<string, IssuerFactory> {
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
  return issuerFactoryOf;
}

/** `settings.minDuration` is not below the lowest allowed; returns the effective minimum (undefined when it does not parse). */
function checkSettings(settings: RawMap, report: Report): number | undefined {
  const settingsMin = settings.minDuration === undefined ? DEFAULT_MIN_DURATION_MS : durationOf(settings.minDuration);
  if (settingsMin !== undefined && settingsMin < LOWEST_MIN_DURATION_MS) {
    report(['settings', 'minDuration'], `${formatDuration(settingsMin)} is below the lowest allowed minimum, ${formatDuration(LOWEST_MIN_DURATION_MS)}`);
  }
  return settingsMin;
}

/**
 * `deploymentProtection` entries name a resource that exists and can stand for a deployment: an
 * approval-only gate (issuer type `none`: there is nobody to hand a credential to), with no ticket
 * pattern (the reason is jitbot's own sentence) and a duration within the resource's limits.
 */
function checkDeploymentGates(raw: RawMap, issuers: RawMap, report: Report): void {
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
