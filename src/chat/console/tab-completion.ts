import { formatDuration } from '../../core/domain/duration.js';
import type { TargetVerb } from '../../core/services/command-targets.js';
import type { ResourceChoice } from '../../core/services/handle-command.js';

/** What completion may offer at this moment. */
export interface CompletionContext {
  people(): string[];
  /** What the person typing may request. */
  resources(): ResourceChoice[];
  /** Ids of requests that exist and that `verb` applies to for the person typing, newest first. */
  requestIds(verb: TargetVerb): Promise<string[]> | string[];
  statuses(): readonly string[];
}

export const CONSOLE_COMMANDS = ['/as', '/sleep', '/wait', '/help', '/quit'] as const;
const VERBS = ['request', 'list', 'resources', 'approve', 'deny', 'cancel', 'release', 'extend', 'revoke', 'audit', 'help'] as const;
const TAKES_ID = new Set<string>(['approve', 'deny', 'cancel', 'release', 'extend', 'revoke', 'audit'] satisfies TargetVerb[]);

/**
 * readline's completer: console commands and `/jit` verbs first, then people after `/as`, resources
 * after `request`, request ids after the verbs that take one (only those the verb applies to: pending
 * ones you may approve after approve/deny, your own pending after cancel, your own active after
 * release/extend, active ones after revoke for admins, ones you may read after audit) and after
 * `/wait` (then statuses), and a resource's default duration after its name.
 */
export async function completeLine(line: string, context: CompletionContext): Promise<[string[], string]> {
  const words = line.trimStart().split(/\s+/);
  const current = words[words.length - 1] ?? '';
  const before = words.slice(0, -1).map((w) => w.toLowerCase());
  const offer = (candidates: readonly string[]): [string[], string] => {
    const wanted = current.toLowerCase();
    const hits = [...new Set(candidates)].filter((c) => c.toLowerCase().startsWith(wanted));
    // One match: complete the word and the space after it, ready for the next one.
    return [hits.length === 1 ? [`${hits[0]} `] : hits, current];
  };
  const resources = () => context.resources();

  if (before.length === 0) return offer([...CONSOLE_COMMANDS, '/jit', ...VERBS, ...resources().map((r) => r.name)]);
  const [first = ''] = before;
  if (first === '/as') return before.length === 1 ? offer(context.people()) : [[], current];
  if (first === '/wait') {
    if (before.length === 1) return offer(await context.requestIds('wait'));
    if (before.length === 2) return offer([...context.statuses(), 'ended']);
    return [[], current];
  }
  if (first.startsWith('/') && first !== '/jit') return [[], current];

  const rest = first === '/jit' || first === 'jit' ? before.slice(1) : before;
  if (rest.length === 0) return offer([...VERBS, ...resources().map((r) => r.name)]);
  const [verb = ''] = rest;
  if (TAKES_ID.has(verb)) return rest.length === 1 ? offer(await context.requestIds(verb as TargetVerb)) : [[], current];
  if (verb === 'request') {
    if (rest.length === 1) return offer(resources().map((r) => r.name));
    if (rest.length === 2) return offer(defaultDuration(resources(), rest[1]!));
    return [[], current];
  }
  // `/jit <resource> <duration> …`
  if (rest.length === 1) return offer(defaultDuration(resources(), verb));
  return [[], current];
}

function defaultDuration(resources: ResourceChoice[], name: string): string[] {
  const choice = resources.find((r) => r.name.toLowerCase() === name);
  return choice ? [formatDuration(choice.defaultMs)] : [];
}
