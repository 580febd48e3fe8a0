import { deploymentGateFor, type Platform } from '../policy/evaluate-policy.js';
import { personNamed, resourceNamed } from '../policy/policy-lookup.js';
import type { DeploymentGate } from '../policy/policy-schema.js';
import type { PersonIdentity } from '../ports/notifier.js';
import { personIdentity, type CoreDeps } from './core-context.js';

/**
 * What adapters look up in the current policy, answered by core so that nobody outside it holds the
 * policy: who a person is on each platform, where a resource's cards go, which gate guards a deployment.
 */

/** Everyone the policy names, with their platform ids. */
export function people(deps: CoreDeps): PersonIdentity[] {
  const policy = deps.policy();
  return Object.keys(policy.people).map((name) => personIdentity(policy, name));
}

/** A person the policy names, with their platform ids; undefined for a name it does not define. */
export function personNamedInPolicy(deps: CoreDeps, name: string): PersonIdentity | undefined {
  const policy = deps.policy();
  return personNamed(policy, name) ? personIdentity(policy, name) : undefined;
}

/** The channel a resource's cards and notices go to on one platform, if it has one there. */
export function resourceChannel(deps: CoreDeps, resource: string, platform: Platform): string | undefined {
  return resourceNamed(deps.policy(), resource)?.channel[platform];
}

/** The `deploymentProtection:` entry for an environment of a repository, if the policy has one. */
export function deploymentGate(deps: CoreDeps, repository: string, environment: string): DeploymentGate | undefined {
  return deploymentGateFor(deps.policy(), repository, environment);
}
