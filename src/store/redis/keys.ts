import type { RequestStatus } from '../../core/domain/access-request.js';

/** Every Redis key jitbot writes, in one place. All share the configured prefix (default `jitbot:`). */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  idCounter(): string {
    return `${this.prefix}seq:request`;
  }
  request(id: string): string {
    return `${this.prefix}req:${id}`;
  }
  requestAudit(id: string): string {
    return `${this.prefix}req:${id}:audit`;
  }
  messageRefs(id: string): string {
    return `${this.prefix}req:${id}:messages`;
  }
  byRequester(person: string): string {
    return `${this.prefix}idx:requester:${person}`;
  }
  byStatus(status: RequestStatus): string {
    return `${this.prefix}idx:status:${status}`;
  }
  waitingOn(person: string): string {
    return `${this.prefix}idx:waiting:${person}`;
  }
  /** Ids of a requester's open requests (pending, approved, issuing, active): what open limits count. */
  openBy(requester: string): string {
    return `${this.prefix}idx:open:${requester}`;
  }
  /** The same, for one resource (resource names have no ":", so the pair is unambiguous). */
  openByResource(resource: string, requester: string): string {
    return `${this.prefix}idx:open-of:${resource}:${requester}`;
  }
  /** Requests a requester made in the last minute (a sorted set by time, expiring when idle). */
  recentBy(requester: string): string {
    return `${this.prefix}rate:${requester}`;
  }
  recentByResource(resource: string, requester: string): string {
    return `${this.prefix}rate-of:${resource}:${requester}`;
  }
  holdingAccessByEnd(): string {
    return `${this.prefix}idx:holding-access`;
  }
  auditStream(): string {
    return `${this.prefix}audit`;
  }
  auditHead(): string {
    return `${this.prefix}audit:head`;
  }
  /** Signed checkpoints over the chain (a list of JSON, oldest first). */
  auditCheckpoints(): string {
    return `${this.prefix}audit:checkpoints`;
  }
  once(key: string): string {
    return `${this.prefix}once:${key}`;
  }
  values(namespace: string): string {
    return `${this.prefix}kv:${namespace}`;
  }
}
