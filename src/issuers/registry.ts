import type { IssuerFactory } from '../core/ports/issuer.js';
import { jwtIssuerFactory } from './jwt/jwt-issuer.js';
import { noneIssuerFactory } from './none/none-issuer.js';

/** Every issuer type jitbot knows, by `type`. Policy loading validates settings and params with these. */
export function builtinIssuerFactories(): Map<string, IssuerFactory> {
  const factories: IssuerFactory[] = [noneIssuerFactory as IssuerFactory, jwtIssuerFactory as IssuerFactory];
  return new Map(factories.map((f) => [f.type, f]));
}
