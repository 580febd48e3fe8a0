import type { IssuerFactory } from '../core/ports/issuer.js';
import { githubIssuerFactory } from './github/github-issuer.js';
import { jwtIssuerFactory } from './jwt/jwt-issuer.js';
import { noneIssuerFactory } from './none/none-issuer.js';
import { vaultIssuerFactory } from './vault/vault-issuer.js';
import { webhookIssuerFactory } from './webhook/webhook-issuer.js';

/** Every issuer type jitbot knows, by `type`. Policy loading validates settings and params with these. */
export function builtinIssuerFactories(): Map<string, IssuerFactory> {
  const factories: IssuerFactory[] = [
    noneIssuerFactory as IssuerFactory,
    jwtIssuerFactory as IssuerFactory,
    githubIssuerFactory as IssuerFactory,
    vaultIssuerFactory as IssuerFactory,
    webhookIssuerFactory as IssuerFactory,
  ];
  return new Map(factories.map((f) => [f.type, f]));
}
