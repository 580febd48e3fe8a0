import type { z } from 'zod';
import { IssuerError } from '../core/domain/errors.js';
import type { GrantContext, Issuer, IssuerEnvironment, IssuerFactory } from '../core/ports/issuer.js';
import { githubIssuerFactory } from './github/github-issuer.js';
import { jwtIssuerFactory } from './jwt/jwt-issuer.js';
import { noneIssuerFactory } from './none/none-issuer.js';
import { vaultIssuerFactory } from './vault/vault-issuer.js';
import { webhookIssuerFactory } from './webhook/webhook-issuer.js';

/** Every issuer type jitbot knows, by `type`. Policy loading validates settings and params with these. */
export function builtinIssuerFactories(): Map<string, IssuerFactory> {
  const factories: IssuerFactory[] = [noneIssuerFactory, jwtIssuerFactory, githubIssuerFactory, vaultIssuerFactory, webhookIssuerFactory];
  return new Map(factories.map((f) => [f.type, f]));
}

/**
 * Builds the issuer the core uses from a policy entry's settings (the entry minus `type`): the
 * settings are parsed here, once, and the factory's issuer is bound to its params schema (see
 * {@link bindIssuer}). Settings the schema refuses are a non-retryable IssuerError naming each problem.
 */
export async function buildIssuer<S, P>(factory: IssuerFactory<S, P>, name: string, settings: unknown, env: IssuerEnvironment): Promise<Issuer> {
  const parsed = factory.settingsSchema.safeParse(settings);
  if (!parsed.success) throw new IssuerError(`invalid settings for ${factory.type} issuer ${name}: ${problemList(parsed.error, '')}`, false);
  return bindIssuer(factory, name, await factory.create(name, parsed.data, env));
}

/**
 * The core's view of a typed issuer: each grant's params (as the policy holds them) are parsed with
 * the factory's schema before the call, once per params object (a resource's params are one object
 * for the life of the policy). Params that do not parse are refused with a non-retryable IssuerError;
 * a revoke with them does nothing, since params that never parsed never issued anything.
 * `checkRequest` comes from the factory's `requestProblem`, on the same parsed params.
 */
export function bindIssuer<S, P>(factory: IssuerFactory<S, P>, name: string, issuer: Issuer<P>): Issuer {
  const parsedParams = new WeakMap<object, z.ZodSafeParseResult<P>>();
  const parse = (params: Record<string, unknown>): z.ZodSafeParseResult<P> => {
    const known = parsedParams.get(params);
    if (known) return known;
    const result = factory.paramsSchema.safeParse(params);
    parsedParams.set(params, result);
    return result;
  };
  const typed = (grant: GrantContext): GrantContext<P> => {
    const result = parse(grant.params);
    if (!result.success) throw new IssuerError(`invalid params for ${factory.type} issuer ${name}: ${problemList(result.error, 'params')}`, false);
    return { ...grant, params: result.data };
  };
  const bound: { -readonly [K in keyof Issuer]: Issuer[K] } = {
    type: issuer.type,
    issue: async (grant) => issuer.issue(typed(grant)),
    async revoke(grant, receipt) {
      const result = parse(grant.params);
      if (result.success) await issuer.revoke({ ...grant, params: result.data }, receipt);
    },
  };
  const { extend, verify, endpoints } = issuer;
  if (extend) bound.extend = async (grant, receipt) => extend.call(issuer, typed(grant), receipt);
  if (verify) bound.verify = async (grant, receipt) => verify.call(issuer, typed(grant), receipt);
  if (endpoints) bound.endpoints = endpoints;
  const { requestProblem } = factory;
  // An issuer's own check wins over its factory's (as built issuers always had it).
  const check: Issuer<P>['checkRequest'] =
    issuer.checkRequest?.bind(issuer) ?? (requestProblem ? (params, person, durationMs) => requestProblem.call(factory, params, person, durationMs) : undefined);
  if (check) {
    bound.checkRequest = (params, person, durationMs) => {
      const result = parse(params);
      return result.success ? check(result.data, person, durationMs) : undefined;
    };
  }
  return bound;
}

/** `path: message; …` for each problem, `whole` standing for the top level. */
function problemList(error: z.ZodError, whole: string): string {
  return error.issues.map((issue) => `${issue.path.join('.') || whole}: ${issue.message}`).join('; ');
}
