import type { RequestId } from '../domain/access-request.js';

/** Where a card was posted, so it can be updated later. Opaque to the core beyond these fields. */
export interface MessageRef {
  platform: string;
  channel: string;
  messageId: string;
  /** Platform-specific data the adapter needs to update the message (e.g. a Teams conversation reference). */
  extra?: Record<string, unknown>;
}

/**
 * Small state that adapters and delivery keep beside the requests: handles of posted cards, claims
 * that make something happen once (replay protection, one card per channel, one credential pickup),
 * and a namespaced key-value map (Teams conversation references, sealed pipeline credentials).
 */
export interface AdapterState {
  /** Remembers a posted card; one per platform and channel (a later save replaces it). */
  saveMessageRef(id: RequestId, ref: MessageRef): Promise<void>;
  messageRefs(id: RequestId): Promise<MessageRef[]>;
  /** True the first time a key is claimed within `ttlMs`; false for a replay. */
  claimOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Gives a claim back (the work it guarded failed and will be retried). */
  releaseClaim(key: string): Promise<void>;
  /** Small per-platform data (e.g. Teams conversation references), kept until overwritten. */
  putValue(namespace: string, key: string, value: string): Promise<void>;
  getValue(namespace: string, key: string): Promise<string | undefined>;
}
