import { webhookIssuerFactory } from '../../src/issuers/webhook/webhook-issuer.js';
import { buildIssuer } from '../../src/issuers/registry.js';
import { WebhookReceiver } from '../fakes/webhook-receiver.js';
import { contractGrant, describeIssuerContract } from './issuer-contract.js';

for (const mode of ['sync', 'async'] as const) {
  describeIssuerContract(`webhook (${mode === 'sync' ? '200' : '202 + status URL'})`, async () => {
    const receiver = new WebhookReceiver();
    receiver.mode = mode;
    receiver.pendingPolls = 1;
    await receiver.start();
    // Built as the app builds it: settings and params parsed by the registry.
    const settings = { url: receiver.url, secret: receiver.secret, timeoutMs: 2000, pollIntervalMs: 20, pollTimeoutMs: 2000 };
    const issuer = await buildIssuer(webhookIssuerFactory, 'hook', settings, { dataDir: '/nonexistent', grantIsLive: async () => true });
    return {
      issuer,
      grant: (overrides = {}) => contractGrant({ params: { data: { group: 'deployers' } }, ...overrides }),
      isLive: async (grant) => receiver.active.has(grant.grantId),
      failures: {
        retryable: async () => {
          const remove = receiver.server.fault({ kind: 'status', reply: { status: 503, body: { error: 'down for maintenance' } }, times: Infinity });
          return async () => remove();
        },
        permanent: async () => {
          const remove = receiver.server.fault({ kind: 'status', reply: { status: 403, body: { error: 'this endpoint no longer accepts jitbot' } }, times: Infinity });
          return async () => remove();
        },
      },
      invalidParams: { url: 'ftp://example.com/hook' },
      async teardown() {
        await receiver.stop();
      },
    };
  });
}
