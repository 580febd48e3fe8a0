import type { IssuerState, StateSlot } from '../../src/core/ports/issuer.js';

/**
 * IssuerState in memory, for issuer tests that run without Redis: one lock per key (callers queue),
 * values kept as JSON copies so nothing is shared by reference. Pass the same instance to two issuer
 * objects to model two processes sharing jitbot's store.
 */
export class MemoryIssuerState implements IssuerState {
  readonly values = new Map<string, string>();
  private readonly queues = new Map<string, Promise<unknown>>();

  async withLock<T>(key: string, fn: (slot: StateSlot) => Promise<T>): Promise<T> {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(() =>
      fn({
        read: async () => {
          const json = this.values.get(key);
          return json === undefined ? undefined : (JSON.parse(json) as unknown);
        },
        write: async (value) => {
          if (value === undefined) this.values.delete(key);
          else this.values.set(key, JSON.stringify(value));
        },
      }),
    );
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    }
  }
}
