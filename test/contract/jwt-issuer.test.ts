import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createJwtIssuer, jwtIssuerFactory, JwtSettingsSchema } from '../../src/issuers/jwt/jwt-issuer.js';
import { bindIssuer } from '../../src/issuers/registry.js';
import { contractGrant, describeIssuerContract } from './issuer-contract.js';

const INTROSPECTION_TOKEN = 'contract-introspection-secret';

describeIssuerContract('jwt', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'jitbot-jwt-contract-'));
  const jwt = await createJwtIssuer('tokens', JwtSettingsSchema.parse({ introspectionToken: INTROSPECTION_TOKEN }), { dataDir, grantIsLive: async () => true });
  const keysFile = path.join(dataDir, 'jwt', 'tokens', 'keys.json');
  /** Swaps keys.json for something else until the returned function puts it back. */
  const replaceKeysFile = async (replace: () => Promise<void>) => {
    const original = await readFile(keysFile);
    await rm(keysFile);
    await replace();
    return async () => {
      await rm(keysFile, { recursive: true, force: true });
      await writeFile(keysFile, original, { mode: 0o600 });
    };
  };
  return {
    // Bound as the registry binds it for the core: params arrive as the policy holds them.
    issuer: bindIssuer(jwtIssuerFactory, 'tokens', jwt),
    grant: (overrides) => contractGrant({ params: { claims: { team: 'platform', scopes: ['deploy'] } }, ...overrides }),
    // The far side of a JWT is whoever introspects it.
    async isLive(_grant, result) {
      const answer = await jwt.introspect(`Bearer ${INTROSPECTION_TOKEN}`, new URLSearchParams({ token: result.secret?.value ?? '' }));
      return (answer.body as { active: boolean }).active;
    },
    invalidParams: { claims: { sub: 'mallory' } },
    failures: {
      // Key storage that cannot be read (a vanished volume, I/O errors): trying again may help.
      retryable: () => replaceKeysFile(async () => void (await mkdir(keysFile))),
      // A key file damaged beyond reading: it takes a person to restore it.
      permanent: () => replaceKeysFile(() => writeFile(keysFile, '{"version":1,"keys":"garbled"}')),
    },
    teardown: () => rm(dataDir, { recursive: true, force: true }),
  };
});
