import type { RequestId } from '../../core/domain/access-request.js';
import type { AdapterState, MessageRef } from '../../core/ports/adapter-state.js';
import { systemClock, type Clock } from '../../core/ports/clock.js';

/** Card handles, claims and values in process memory; a claim's TTL runs on the injected clock. */
export class MemoryAdapterState implements AdapterState {
  private readonly refs = new Map<RequestId, Map<string, string>>();
  private readonly claims = new Map<string, number>();
  private readonly values = new Map<string, Map<string, string>>();

  constructor(private readonly clock: Clock = systemClock) {}

  async saveMessageRef(id: RequestId, ref: MessageRef): Promise<void> {
    const refs = this.refs.get(id) ?? new Map<string, string>();
    refs.set(`${ref.platform}:${ref.channel}`, JSON.stringify(ref));
    this.refs.set(id, refs);
  }

  async messageRefs(id: RequestId): Promise<MessageRef[]> {
    return [...(this.refs.get(id)?.values() ?? [])].map((json) => JSON.parse(json) as MessageRef);
  }

  async claimOnce(key: string, ttlMs: number): Promise<boolean> {
    // Redis refuses a SET … PX without a positive whole number of milliseconds; so does this.
    if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw new Error(`invalid claim TTL ${ttlMs} ms`);
    const now = this.clock.now();
    const expiresAt = this.claims.get(key);
    if (expiresAt !== undefined && expiresAt > now) return false;
    this.claims.set(key, now + ttlMs);
    return true;
  }

  async releaseClaim(key: string): Promise<void> {
    this.claims.delete(key);
  }

  async putValue(namespace: string, key: string, value: string): Promise<void> {
    const map = this.values.get(namespace) ?? new Map<string, string>();
    map.set(key, value);
    this.values.set(namespace, map);
  }

  async getValue(namespace: string, key: string): Promise<string | undefined> {
    return this.values.get(namespace)?.get(key);
  }
}
