import { noneIssuerFactory } from '../../src/issuers/none/none-issuer.js';
import { buildIssuer } from '../../src/issuers/registry.js';
import { contractGrant, describeIssuerContract } from './issuer-contract.js';

describeIssuerContract('none', async () => ({
  issuer: await buildIssuer(noneIssuerFactory, 'gate', {}, { dataDir: '/nonexistent', grantIsLive: async () => true }),
  grant: contractGrant,
  // `none` creates nothing, so its verify has nothing to look at and always answers true.
  verifyTellsRevocation: false,
  teardown: async () => {},
}));
