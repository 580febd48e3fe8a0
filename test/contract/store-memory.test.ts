import { ManualClock } from '../../src/core/ports/clock.js';
import { emptyAuditTrail } from '../../src/store/memory/memory-audit-log.js';
import { MemoryRequestStore } from '../../src/store/memory/memory-request-store.js';
import { describeStoreContract } from './store-contract.js';

describeStoreContract('memory', async () => {
  const clock = new ManualClock();
  const trail = emptyAuditTrail();
  return {
    store: new MemoryRequestStore({ clock, trail }),
    passTime: async (ms) => clock.advance(ms),
    tamper: {
      async alter(position, edit) {
        const entry = trail.entries.get(position);
        if (entry) trail.entries.set(position, { ...entry, body: edit(entry.body) });
      },
      async remove(position) {
        trail.entries.delete(position);
      },
    },
    teardown: async () => {},
  };
});
