import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { readVariable } from './read-variable.js';
import { parseDuration } from '../core/domain/duration.js';
import type { PipelineProvider, Policy } from '../core/policy/policy-schema.js';

/** GitHub Actions' OIDC issuer on github.com (GHES: `https://HOSTNAME/_services/token`). */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';
export const GITLAB_COM_ISSUER = 'https://gitlab.com';
export const GITHUB_API_URL = 'https://api.github.com';

/** How ID tokens of one CI provider are verified. */
export interface OidcProviderConfig {
  provider: PipelineProvider;
  /** The `iss` claim, exactly as configured (a trailing "/" included); discovery is at `<issuer without a final "/">/.well-known/openid-configuration`. */
  issuer: string;
  /** Skips discovery when set. */
  jwksUrl: string | undefined;
  /** A token older than this (by `iat`) cannot create a request. */
  maxTokenAgeMs: number;
  /** Web URL of the CI server, for links to runs (GitHub: https://github.com; GitLab: the issuer). */
  serverUrl: string;
  /** After fetching the JWKS, an unknown key id waits this long before the next fetch (default 30 s; tests shorten it). */
  jwksCooldownMs?: number;
}

/** The pipelines API and the GitHub App for deployment protection rules, validated from the environment. */
export interface PipelineConfig {
  /** Set when the policy has `pipelines:`. */
  oidc: { audience: string; providers: OidcProviderConfig[] } | undefined;
  /** Set when the policy has `deploymentProtection:`. */
  githubApp: { appId: string; privateKey: string; webhookSecret: string; apiUrl: string } | undefined;
}

/** Every variable this module reads; the two secrets are also accepted as `<NAME>_FILE`. */
export const PIPELINE_VARIABLES = [
  'JITBOT_OIDC_AUDIENCE',
  'JITBOT_GITHUB_OIDC_ISSUER',
  'JITBOT_GITHUB_OIDC_JWKS_URL',
  'JITBOT_GITHUB_SERVER_URL',
  'JITBOT_OIDC_MAX_AGE',
  'JITBOT_GITLAB_ISSUER',
  'JITBOT_GITLAB_JWKS_URL',
  'JITBOT_GITLAB_MAX_AGE',
  'JITBOT_GITHUB_APP_ID',
  'JITBOT_GITHUB_APP_PRIVATE_KEY',
  'JITBOT_GITHUB_WEBHOOK_SECRET',
  'JITBOT_GITHUB_API_URL',
] as const;
type Variable = (typeof PIPELINE_VARIABLES)[number];
const SECRETS: readonly Variable[] = ['JITBOT_GITHUB_APP_PRIVATE_KEY', 'JITBOT_GITHUB_WEBHOOK_SECRET'];

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** https, or http on loopback only (local fakes and tests): an issuer's keys must not travel in clear. */
const SecureUrl = z.string().superRefine((value, ctx) => {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected a URL (got ${JSON.stringify(value.slice(0, 60))})` });
    return;
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname))) return;
  ctx.addIssue({ code: 'custom', message: 'expected an https:// URL (http:// only on loopback)' });
});
/** A base URL: a trailing "/" is dropped, since paths are appended to it. */
const BaseUrl = SecureUrl.transform((v) => v.replace(/\/+$/, ''));
/** An OIDC issuer is compared with a token's `iss` exactly as configured: a trailing "/" is part of it. */
const Issuer = SecureUrl;

const Duration = z.string().transform((value, ctx) => {
  try {
    return parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const VariablesSchema = z.object({
  JITBOT_OIDC_AUDIENCE: z.string().min(1).max(500).optional(),
  JITBOT_GITHUB_OIDC_ISSUER: Issuer.optional(),
  JITBOT_GITHUB_OIDC_JWKS_URL: SecureUrl.optional(),
  JITBOT_GITHUB_SERVER_URL: BaseUrl.optional(),
  JITBOT_OIDC_MAX_AGE: Duration.optional(),
  JITBOT_GITLAB_ISSUER: Issuer.optional(),
  JITBOT_GITLAB_JWKS_URL: SecureUrl.optional(),
  JITBOT_GITLAB_MAX_AGE: Duration.optional(),
  JITBOT_GITHUB_APP_ID: z
    .string()
    .regex(/^(\d{1,12}|Iv[0-9A-Za-z.]{6,40})$/, 'expected the GitHub App id (digits) or its client id (Iv…)')
    .optional(),
  JITBOT_GITHUB_APP_PRIVATE_KEY: z
    .string()
    .transform((v) => v.replace(/\\n/g, '\n'))
    .superRefine((pem, ctx) => {
      try {
        const key = createPrivateKey(pem);
        if (key.asymmetricKeyType !== 'rsa') ctx.addIssue({ code: 'custom', message: 'expected the GitHub App private key (RSA, PEM)' });
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not a PEM private key (download it from the GitHub App settings; JITBOT_GITHUB_APP_PRIVATE_KEY_FILE may name the .pem file)' });
      }
    })
    .optional(),
  JITBOT_GITHUB_WEBHOOK_SECRET: z.string().min(16, 'use a webhook secret of at least 16 characters').optional(),
  JITBOT_GITHUB_API_URL: BaseUrl.optional(),
});

const GITHUB_DEFAULT_MAX_AGE = 10 * 60_000;
// GitLab mints a job's ID token when the job starts, and the job keeps it: a request made some
// minutes into a job must still pass.
const GITLAB_DEFAULT_MAX_AGE = 60 * 60_000;

/** Whether the policy uses the pipelines API or deployment protection at all. */
export function policyUsesPipelines(policy: Policy): boolean {
  return Object.keys(policy.pipelines).length > 0 || policy.deploymentProtection.length > 0;
}

/**
 * Reads the pipeline settings the policy needs, or undefined when it needs none. Throws a
 * {@link ConfigError} naming every bad or missing variable (never a secret's value).
 */
export function loadPipelineConfig(env: NodeJS.ProcessEnv, policy: Policy): PipelineConfig | undefined {
  if (!policyUsesPipelines(policy)) return undefined;
  const problems: ConfigProblem[] = [];
  const vars = readPipelineVariables(env, problems);
  const oidc = oidcConfig(policy, vars, problems);
  const githubApp = githubAppConfig(policy, vars, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return { oidc, githubApp };
}

type PipelineVariables = z.infer<typeof VariablesSchema>;

/** The pipeline variables, secrets read as values or from `_FILE`; a bad one throws with every problem so far. */
function readPipelineVariables(env: NodeJS.ProcessEnv, problems: ConfigProblem[]): PipelineVariables {
  const raw: Partial<Record<Variable, string>> = {};
  for (const name of PIPELINE_VARIABLES) {
    if (SECRETS.includes(name)) {
      const found = readVariable(env, name);
      if (found.kind === 'value') raw[name] = found.value;
      else if (found.kind === 'error') problems.push({ variable: found.message.startsWith(`${name}_FILE`) ? `${name}_FILE` : name, message: found.message });
    } else if (env[name] !== undefined && env[name] !== '') {
      raw[name] = env[name];
    }
  }
  const parsed = VariablesSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push({ variable: String(issue.path[0] ?? 'environment'), message: issue.message });
    throw new ConfigError(problems);
  }
  return parsed.data;
}

/** The OIDC providers the policy's `pipelines:` use, or undefined when there are none. */
function oidcConfig(policy: Policy, vars: PipelineVariables, problems: ConfigProblem[]): PipelineConfig['oidc'] {
  const providers = new Set(Object.values(policy.pipelines).map((p) => p.provider));
  if (providers.size === 0) return undefined;
  if (!vars.JITBOT_OIDC_AUDIENCE) {
    problems.push({ variable: 'JITBOT_OIDC_AUDIENCE', message: 'not set, but the policy has pipelines: set the audience pipelines request their ID tokens for (e.g. the URL of this jitbot)' });
  }
  const list: OidcProviderConfig[] = [];
  if (providers.has('github')) {
    const issuer = vars.JITBOT_GITHUB_OIDC_ISSUER ?? GITHUB_ACTIONS_ISSUER;
    list.push({
      provider: 'github',
      issuer,
      jwksUrl: vars.JITBOT_GITHUB_OIDC_JWKS_URL,
      maxTokenAgeMs: vars.JITBOT_OIDC_MAX_AGE ?? GITHUB_DEFAULT_MAX_AGE,
      serverUrl: vars.JITBOT_GITHUB_SERVER_URL ?? githubServerUrl(issuer),
    });
  }
  if (providers.has('gitlab')) {
    const issuer = vars.JITBOT_GITLAB_ISSUER ?? GITLAB_COM_ISSUER;
    list.push({ provider: 'gitlab', issuer, jwksUrl: vars.JITBOT_GITLAB_JWKS_URL, maxTokenAgeMs: vars.JITBOT_GITLAB_MAX_AGE ?? GITLAB_DEFAULT_MAX_AGE, serverUrl: issuer.replace(/\/+$/, '') });
  }
  if (list.length === 2 && list[0]!.issuer === list[1]!.issuer) {
    problems.push({ variable: 'JITBOT_GITLAB_ISSUER', message: 'is the same as the GitHub issuer; each provider needs its own' });
  }
  return { audience: vars.JITBOT_OIDC_AUDIENCE ?? '', providers: list };
}

/** The GitHub App that answers deployment protection rules, or undefined when the policy has none. */
function githubAppConfig(policy: Policy, vars: PipelineVariables, problems: ConfigProblem[]): PipelineConfig['githubApp'] {
  if (policy.deploymentProtection.length === 0) return undefined;
  const needed = 'the policy has deploymentProtection: jitbot answers deployment protection rules as a GitHub App';
  if (!vars.JITBOT_GITHUB_APP_ID) problems.push({ variable: 'JITBOT_GITHUB_APP_ID', message: `not set, but ${needed}` });
  if (!vars.JITBOT_GITHUB_APP_PRIVATE_KEY) problems.push({ variable: 'JITBOT_GITHUB_APP_PRIVATE_KEY', message: `not set, but ${needed} (or set JITBOT_GITHUB_APP_PRIVATE_KEY_FILE)` });
  if (!vars.JITBOT_GITHUB_WEBHOOK_SECRET) problems.push({ variable: 'JITBOT_GITHUB_WEBHOOK_SECRET', message: `not set, but ${needed}; webhooks are verified with it` });
  return {
    appId: vars.JITBOT_GITHUB_APP_ID ?? '',
    privateKey: vars.JITBOT_GITHUB_APP_PRIVATE_KEY ?? '',
    webhookSecret: vars.JITBOT_GITHUB_WEBHOOK_SECRET ?? '',
    apiUrl: vars.JITBOT_GITHUB_API_URL ?? GITHUB_API_URL,
  };
}

/** The secret values in a pipeline configuration, for log redaction. */
export function pipelineSecrets(config: PipelineConfig | undefined): string[] {
  if (!config?.githubApp) return [];
  return [config.githubApp.webhookSecret, config.githubApp.privateKey].filter((v) => v !== '');
}

/** github.com's OIDC issuer belongs to https://github.com; a GHES issuer `https://HOST/_services/token` to https://HOST. */
function githubServerUrl(issuer: string): string {
  if (issuer === GITHUB_ACTIONS_ISSUER) return 'https://github.com';
  const url = new URL(issuer.replace(/\/+$/, ''));
  return url.pathname.endsWith('/_services/token') ? `${url.origin}${url.pathname.slice(0, -'/_services/token'.length)}` : url.origin;
}
