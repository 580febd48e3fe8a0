import { HOLDS_ACCESS, OPEN, type AccessRequest } from '../../core/domain/access-request.js';
import { canonicalJson, type AuditDraft } from '../../core/domain/audit-event.js';
import { JitError } from '../../core/domain/errors.js';
import { waitingOn } from '../request-index.js';
import type { RedisKeys } from './keys.js';

/** What the commit script (lua/commit.lua) is given besides the record: index changes and limit checks, and how its refusals read. */
export type IndexOp = ['ZADD' | 'ZREM' | 'SADD' | 'SREM' | 'WINDOW', string, string];
export type ScriptCheck = ['OPEN' | 'RATE', string, number];

/** The keys a commit touches beyond its fixed four, each named to the script by its position in KEYS. */
export class ScriptKeys {
  readonly list: string[] = [];

  position(key: string): number {
    let index = this.list.indexOf(key);
    if (index === -1) index = this.list.push(key) - 1;
    return 5 + index;
  }
}

/**
 * The audit event's canonical JSON in two halves around its `seq`, which the script fills in.
 * Canonical JSON sorts keys: actor, at, data, requestId, seq, type.
 */
export function auditAroundSeq(audit: AuditDraft) {
  const at = audit.at ?? new Date().toISOString();
  const rest = { actor: audit.actor, at, data: audit.data, requestId: audit.requestId, type: audit.type };
  const full = canonicalJson({ ...rest, seq: 0 });
  const cut = full.indexOf(',"seq":0,');
  return { rest, before: full.slice(0, cut + ',"seq":'.length), after: full.slice(cut + ',"seq":0'.length) };
}

/** The script's refusal (a limit, a version conflict) or Redis' failure, as the core's typed error. */
export function commitFailure(error: unknown): JitError {
  const message = (error as Error).message ?? '';
  const limited = /LIMITED (\d+) (\d+) (-?\d+)/.exec(message);
  if (limited) {
    // Which of the checks refused, and what it counted: the core words the refusal.
    return new JitError('POLICY.LIMIT_REACHED', 'A limit on new requests is reached; nothing was created.', {
      details: { check: Number(limited[1]), count: Number(limited[2]), retryAfterMs: Math.max(0, Number(limited[3])) },
    });
  }
  if (message.includes('CONFLICT')) {
    return new JitError('REQUEST.CONFLICT', 'Someone else changed this request at the same moment; please try again.', { cause: error });
  }
  return new JitError('STORE.UNAVAILABLE', 'The jitbot store is unavailable right now; nothing was changed. Try again shortly.', { cause: error });
}

/** The index changes from `before` (undefined: a new request) to `after`: listings, waiting-on sets, open sets, access end times. */
export function indexDiff(keys: RedisKeys, before: AccessRequest | undefined, after: AccessRequest): IndexOp[] {
  const ops: IndexOp[] = [];
  if (!before) ops.push(['ZADD', keys.byRequester(after.requester), `${after.createdAt}|${after.id}`]);
  if (!before || before.status !== after.status) {
    if (before) ops.push(['ZREM', keys.byStatus(before.status), after.id]);
    ops.push(['ZADD', keys.byStatus(after.status), `${after.createdAt}|${after.id}`]);
  }
  const oldWaiting = new Set(before ? waitingOn(before) : []);
  const newWaiting = new Set(waitingOn(after));
  for (const person of oldWaiting) if (!newWaiting.has(person)) ops.push(['SREM', keys.waitingOn(person), after.id]);
  for (const person of newWaiting) if (!oldWaiting.has(person)) ops.push(['SADD', keys.waitingOn(person), after.id]);
  const wasOpen = before !== undefined && OPEN.has(before.status);
  if (OPEN.has(after.status) !== wasOpen) {
    const op = wasOpen ? 'SREM' : 'SADD';
    ops.push([op, keys.openBy(after.requester), after.id], [op, keys.openByResource(after.resource, after.requester), after.id]);
  }
  const holds = HOLDS_ACCESS.has(after.status) && 'window' in after;
  if (holds) ops.push(['ZADD', keys.holdingAccessByEnd(), `${after.window.end}|${after.id}`]);
  else if (before && HOLDS_ACCESS.has(before.status)) ops.push(['ZREM', keys.holdingAccessByEnd(), after.id]);
  return ops;
}
