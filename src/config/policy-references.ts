import { closestName } from '../core/domain/closest-name.js';
import type { PathSegments } from './policy-problem.js';
import { GROUP_PREFIX, PIPELINE_PREFIX, isMap, mapOf, type RawMap, type Report } from './raw-policy.js';

/**
 * The names a policy defines (people, groups, pipelines) and the references to them in
 * requesters/approvers/admins lists: whether each is known, what a misspelt one probably meant, and
 * the people a list stands for. Reading the groups reports their unknown members.
 */
export class PolicyReferences {
  readonly personNames: Set<string>;
  private readonly groupNames: Set<string>;
  private readonly pipelineNames: Set<string>;
  // When `people` or `groups` is not a map, every name would look unknown: the schema's one problem says enough.
  private readonly peopleListed: boolean;
  private readonly groupsListed: boolean;
  private readonly pipelinesListed: boolean;
  /** Groups list people (a group of groups is not a thing membersOf understands). */
  private readonly groups = new Map<string, Set<string>>();
  /** Groups that are not what they were meant to be: counting approvers through them would mislead. */
  private readonly brokenGroups = new Set<string>();

  constructor(
    raw: RawMap,
    private readonly report: Report,
  ) {
    this.personNames = new Set(Object.keys(mapOf(raw.people)));
    this.groupNames = new Set(Object.keys(mapOf(raw.groups)));
    this.pipelineNames = new Set(Object.keys(mapOf(raw.pipelines)));
    this.peopleListed = isMap(raw.people);
    this.groupsListed = raw.groups === undefined || isMap(raw.groups);
    this.pipelinesListed = raw.pipelines === undefined || isMap(raw.pipelines);
    for (const [group, members] of Object.entries(mapOf(raw.groups))) this.readGroup(group, members);
  }

  /**
   * Reports unknown references in a requesters/approvers/admins list; true when every one is sound.
   * Pipelines may request (`requesters`, auto-approval rules) but never approve or administer.
   */
  checkRefs(refs: unknown, segments: PathSegments, pipelinesAllowed = false): boolean {
    if (!Array.isArray(refs)) return refs === undefined;
    let sound = true;
    refs.forEach((ref: unknown, index) => {
      if (typeof ref !== 'string' || ref === '') sound = false;
      else if (!this.checkRef(ref, [...segments, index], pipelinesAllowed)) sound = false;
    });
    return sound;
  }

  /** The people a list of references denotes, or undefined when the list is not a list. */
  expand(refs: unknown): Set<string> | undefined {
    if (!Array.isArray(refs)) return undefined;
    const out = new Set<string>();
    for (const ref of refs) {
      if (typeof ref !== 'string') continue;
      if (ref.startsWith(GROUP_PREFIX)) for (const person of this.groups.get(ref.slice(GROUP_PREFIX.length)) ?? []) out.add(person);
      else if (ref.startsWith(PIPELINE_PREFIX) && this.pipelineNames.has(ref.slice(PIPELINE_PREFIX.length))) out.add(ref);
      else if (this.personNames.has(ref)) out.add(ref);
    }
    return out;
  }

  private readGroup(group: string, members: unknown): void {
    const known = new Set<string>();
    this.groups.set(group, known);
    if (!Array.isArray(members)) {
      this.brokenGroups.add(group);
      return;
    }
    members.forEach((member: unknown, index) => {
      if (typeof member !== 'string' || !this.peopleListed) return this.brokenGroups.add(group);
      const at = ['groups', group, index];
      if (member.startsWith(GROUP_PREFIX)) this.report(at, `a group lists people, not groups ("${member}")`);
      else if (member.startsWith(PIPELINE_PREFIX)) this.report(at, `a group lists people, not pipelines ("${member}"): name the pipeline in requesters directly`);
      else if (!this.personNames.has(member)) this.report(at, this.unknownPerson(member));
      else return known.add(member);
      return this.brokenGroups.add(group);
    });
  }

  /** One reference of a list: reports it when unknown; false when it is not sound. */
  private checkRef(ref: string, at: PathSegments, pipelinesAllowed: boolean): boolean {
    if (ref.startsWith(PIPELINE_PREFIX)) {
      const name = ref.slice(PIPELINE_PREFIX.length);
      if (!pipelinesAllowed) {
        this.report(at, `a pipeline cannot ${at.includes('admins') ? 'be an admin' : 'approve'} ("${ref}"); only people can`);
        return false;
      }
      if (this.pipelinesListed && !this.pipelineNames.has(name)) {
        this.report(at, this.unknownPipeline(name));
        return false;
      }
      return true;
    }
    if (ref.startsWith(GROUP_PREFIX) ? !this.groupsListed : !this.peopleListed) return false;
    if (ref.startsWith(GROUP_PREFIX)) {
      const group = ref.slice(GROUP_PREFIX.length);
      if (!this.groupNames.has(group)) {
        this.report(at, this.unknownGroup(group));
        return false;
      }
      return !this.brokenGroups.has(group);
    }
    if (!this.personNames.has(ref)) {
      this.report(at, this.unknownPerson(ref));
      return false;
    }
    return true;
  }

  private unknownPerson(name: string): string {
    if (this.groupNames.has(name)) return `unknown person "${name}" (there is a group "${name}": write ${GROUP_PREFIX}${name})`;
    const guess = closestName(name, this.personNames);
    return `unknown person "${name}"${guess ? ` (did you mean "${guess}"?)` : ''}`;
  }

  private unknownGroup(name: string): string {
    if (this.personNames.has(name)) return `unknown group "${name}" (${name} is a person: write ${name})`;
    const guess = closestName(name, this.groupNames);
    return `unknown group "${name}"${guess ? ` (did you mean "${GROUP_PREFIX}${guess}"?)` : ''}`;
  }

  private unknownPipeline(name: string): string {
    const guess = closestName(name, this.pipelineNames);
    const known = this.pipelineNames.size ? `pipelines: ${[...this.pipelineNames].sort().join(', ')}` : 'no pipelines are defined under pipelines:';
    return `unknown pipeline "${name}" (${guess ? `did you mean "${PIPELINE_PREFIX}${guess}"? ` : ''}${known})`;
  }
}
