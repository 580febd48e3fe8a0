import type { IssuerEntry, Person, PipelinePrincipal, Policy, Resource } from './policy-schema.js';

/**
 * Lookups in the policy's name maps that see only the names the policy defines. A plain `map[name]`
 * also finds what every object inherits: `resources['constructor']` is a function and
 * `resources['__proto__']` is Object.prototype, both truthy, so a typed `/jit request __proto__`
 * would pass checks that only ask "is there such a resource?".
 */
export function ownEntry<T>(map: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(map, name) ? map[name] : undefined;
}

export function resourceNamed(policy: Policy, name: string): Resource | undefined {
  return ownEntry(policy.resources, name);
}

export function personNamed(policy: Policy, name: string): Person | undefined {
  return ownEntry(policy.people, name);
}

export function groupNamed(policy: Policy, name: string): string[] | undefined {
  return ownEntry(policy.groups, name);
}

export function issuerNamed(policy: Policy, name: string): IssuerEntry | undefined {
  return ownEntry(policy.issuers, name);
}

export function pipelineNamed(policy: Policy, name: string): PipelinePrincipal | undefined {
  return ownEntry(policy.pipelines, name);
}
