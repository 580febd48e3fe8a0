import { noneIssuerFactory } from '../../src/issuers/none/none-issuer.js';
import { contractGrant, describeIssuerContract } from './issuer-contract.js';

describeIssuerContract('none', async () => ({
  issuer: await noneIssuerFactory.create('gate', {}, { dataDir: '/nonexistent', grantIsLive: async () => true }),
  grant: contractGrant,
  // `none` creates nothing, so its verify has nothing to look at and always answers true.
  verifyTellsRevocation: false,
  teardown: async () => {},
}));
