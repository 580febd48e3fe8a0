import { existsSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { readVariable } from './read-variable.js';

/** pino's levels, `silent` included. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The default policy file; when it is absent (and none is named) the console runs the built-in demo policy. */
export const DEFAULT_POLICY_PATH = './jitbot.yaml';

/** `JITBOT_POLICY=demo` asks for the built-in demo policy by name (a file called `demo` is named `./demo`). */
export const DEMO_POLICY_NAME = 'demo';

/** Whether `JITBOT_POLICY` asks for the built-in demo policy rather than a file. */
export function wantsDemoPolicy(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.JITBOT_POLICY === DEMO_POLICY_NAME;
}

/** Variables that hold secrets: also accepted as `<NAME>_FILE`, never printed. */
export const SECRET_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'TEAMS_APP_PASSWORD', 'REDIS_URL', 'JITBOT_AUDIT_SIGNING_KEY'] as const;

/** Every variable jitbot reads (docs/operations.md, "Configuration"). */
export const ENVIRONMENT_VARIABLES = [
  'JITBOT_POLICY',
  'REDIS_URL',
  'PORT',
  'HOST',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'SLACK_API_URL',
  'SLACK_TEAM_ID',
  'SLACK_ENTERPRISE_ID',
  'SLACK_APP_ID',
  'TEAMS_APP_ID',
  'TEAMS_APP_PASSWORD',
  'TEAMS_TENANT_ID',
  'TEAMS_INSECURE_NO_AUTH',
  'LOG_LEVEL',
  'JITBOT_DATA_DIR',
  'JITBOT_KEY_PREFIX',
  'JITBOT_SECRET_KEY', 'JITBOT_AUDIT_SIGNING_KEY',
  // The operator's login name, for the audit trail when the OS has no passwd entry for them (some containers).
  'USER',
  'LOGNAME',
] as const;
type VariableName = (typeof ENVIRONMENT_VARIABLES)[number];

/** Slack over HTTP (Events API, signed requests) or over Socket Mode (an app-level token). */
export type SlackEnvironment = (
  | { mode: 'http'; botToken: string; signingSecret: string; appToken: undefined; apiUrl: string | undefined }
  | { mode: 'socket'; botToken: string; signingSecret: string | undefined; appToken: string; apiUrl: string | undefined }
) & {
  /** SLACK_TEAM_ID / SLACK_ENTERPRISE_ID / SLACK_APP_ID: the one installation whose payloads are acted on. */
  installation: { teamId?: string; enterpriseId?: string; appId?: string };
};

/** Microsoft Teams through the Bot Framework; `insecureNoAuth` is for the Emulator and tests only. */
export type TeamsEnvironment =
  | { insecureNoAuth: false; appId: string; appPassword: string; tenantId: string | undefined }
  | { insecureNoAuth: true; appId: string | undefined; appPassword: string | undefined; tenantId: string | undefined };

/** The process environment, validated once at start. */
export interface Environment {
  /** `JITBOT_POLICY`, or `./jitbot.yaml`. */
  policyPath: string;
  /** Whether `JITBOT_POLICY` named the file: a named file must exist; only the default may fall back to the demo policy. */
  policyNamed: boolean;
  /** `REDIS_URL`; undefined means "start the embedded redis-server". */
  redisUrl: string | undefined;
  port: number;
  host: string;
  /** Set when Slack is configured. */
  slack: SlackEnvironment | undefined;
  /** Set when Teams is configured (`TEAMS_APP_ID`, or `TEAMS_INSECURE_NO_AUTH=1`). */
  teams: TeamsEnvironment | undefined;
  logLevel: LogLevel;
  /** `JITBOT_DATA_DIR`: embedded Redis data, issuer keys and other local state; default `.jitbot`. */
  dataDir: string;
  /** Whether `LOG_LEVEL` was set: the operator commands log only warnings unless it is. */
  logLevelNamed: boolean;
  /** `JITBOT_KEY_PREFIX`: the prefix of every Redis key; default `jitbot:`. Several instances may share one Redis. */
  keyPrefix: string;
  /** `JITBOT_SECRET_KEY` (64 hex characters, checked where it is used); unset: generated under the data directory. */
  secretKeyHex: string | undefined;
  /** `JITBOT_AUDIT_SIGNING_KEY` (or `_FILE`): the Ed25519 private key, PEM, signing audit checkpoints. */ auditSigningKeyPem: string | undefined;
  /** `USER`, else `LOGNAME`: who runs an operator command, when the OS cannot say. */
  loginName: string | undefined;
}

const text = z.string().optional();

/** Raw variables (after `_FILE` resolution, empty values dropped) → an {@link Environment}. Issue paths are variable names. */
export const EnvironmentSchema = z
  .object({
    JITBOT_POLICY: text,
    REDIS_URL: z
      .string()
      .refine(isRedisUrl, 'expected a URL such as redis://host:6379 or rediss://user:password@host:6380/0')
      .optional(),
    PORT: z
      .string()
      .superRefine(check((v) => /^\d{1,5}$/.test(v) && Number(v) <= 65_535, (v) => `must be a whole number from 0 to 65535 (got ${JSON.stringify(v)})`))
      .transform(Number)
      .optional(),
    HOST: text,
    SLACK_BOT_TOKEN: z.string().superRefine(tokenPrefix('xoxb-', 'a Slack bot token')).optional(),
    SLACK_SIGNING_SECRET: text,
    SLACK_APP_TOKEN: z.string().superRefine(tokenPrefix('xapp-', 'a Slack app-level token')).optional(),
    SLACK_API_URL: z
      .string()
      .refine((v) => /^https?:$/.test(urlOf(v)?.protocol ?? ''), 'expected an http(s) URL such as https://slack.com/api/')
      .transform((v) => (v.endsWith('/') ? v : `${v}/`))
      .optional(),
    SLACK_TEAM_ID: slackId('T', 'a workspace id such as T0123ABCD'),
    SLACK_ENTERPRISE_ID: slackId('E', 'an organization id such as E0123ABCD'),
    SLACK_APP_ID: slackId('A', 'an app id such as A0123ABCD'),
    TEAMS_APP_ID: text,
    TEAMS_APP_PASSWORD: text,
    TEAMS_TENANT_ID: text,
    TEAMS_INSECURE_NO_AUTH: z
      .string()
      .superRefine(check((v) => /^(1|0|true|false|yes|no)$/i.test(v), (v) => `expected 1 or 0 (got ${JSON.stringify(v)})`))
      .transform((v) => /^(1|true|yes)$/i.test(v))
      .optional(),
    LOG_LEVEL: z
      .string()
      .transform((v) => v.toLowerCase())
      .superRefine(check((v) => (LOG_LEVELS as readonly string[]).includes(v), (v) => `expected one of ${LOG_LEVELS.join(', ')} (got ${JSON.stringify(v)})`))
      .transform((v) => v as LogLevel)
      .optional(),
    JITBOT_DATA_DIR: text,
    JITBOT_KEY_PREFIX: text,
    JITBOT_SECRET_KEY: text,
    JITBOT_AUDIT_SIGNING_KEY: text,
    USER: text,
    LOGNAME: text,
  })
  .superRefine((vars, ctx) => {
    const problem = (variable: VariableName, message: string): void => void ctx.addIssue({ code: 'custom', path: [variable], message });
    if (!vars.SLACK_BOT_TOKEN) {
      if (vars.SLACK_SIGNING_SECRET) problem('SLACK_BOT_TOKEN', 'not set, but SLACK_SIGNING_SECRET is: Slack needs both');
      if (vars.SLACK_APP_TOKEN) problem('SLACK_BOT_TOKEN', 'not set, but SLACK_APP_TOKEN is: Slack Socket Mode needs both');
    } else if (!vars.SLACK_SIGNING_SECRET && !vars.SLACK_APP_TOKEN) {
      problem('SLACK_SIGNING_SECRET', 'not set, but SLACK_BOT_TOKEN is: Slack over HTTP needs both (or set SLACK_APP_TOKEN for Socket Mode)');
    }
    if (!vars.TEAMS_INSECURE_NO_AUTH) {
      if (vars.TEAMS_APP_ID && !vars.TEAMS_APP_PASSWORD) problem('TEAMS_APP_PASSWORD', 'not set, but TEAMS_APP_ID is: Teams needs both');
      if (!vars.TEAMS_APP_ID && (vars.TEAMS_APP_PASSWORD || vars.TEAMS_TENANT_ID)) {
        problem('TEAMS_APP_ID', `not set, but ${vars.TEAMS_APP_PASSWORD ? 'TEAMS_APP_PASSWORD' : 'TEAMS_TENANT_ID'} is: Teams needs TEAMS_APP_ID and TEAMS_APP_PASSWORD`);
      }
    }
  })
  .transform((vars): Environment => {
    let slack: SlackEnvironment | undefined;
    if (vars.SLACK_BOT_TOKEN) {
      const apiUrl = vars.SLACK_API_URL;
      const installation = {
        ...(vars.SLACK_TEAM_ID ? { teamId: vars.SLACK_TEAM_ID } : {}),
        ...(vars.SLACK_ENTERPRISE_ID ? { enterpriseId: vars.SLACK_ENTERPRISE_ID } : {}),
        ...(vars.SLACK_APP_ID ? { appId: vars.SLACK_APP_ID } : {}),
      };
      slack = vars.SLACK_APP_TOKEN
        ? { mode: 'socket', botToken: vars.SLACK_BOT_TOKEN, appToken: vars.SLACK_APP_TOKEN, signingSecret: vars.SLACK_SIGNING_SECRET, apiUrl, installation }
        : { mode: 'http', botToken: vars.SLACK_BOT_TOKEN, signingSecret: vars.SLACK_SIGNING_SECRET ?? '', appToken: undefined, apiUrl, installation };
    }
    let teams: TeamsEnvironment | undefined;
    if (vars.TEAMS_INSECURE_NO_AUTH) {
      teams = { insecureNoAuth: true, appId: vars.TEAMS_APP_ID, appPassword: vars.TEAMS_APP_PASSWORD, tenantId: vars.TEAMS_TENANT_ID };
    } else if (vars.TEAMS_APP_ID) {
      teams = { insecureNoAuth: false, appId: vars.TEAMS_APP_ID, appPassword: vars.TEAMS_APP_PASSWORD ?? '', tenantId: vars.TEAMS_TENANT_ID };
    }
    return {
      policyPath: vars.JITBOT_POLICY ?? DEFAULT_POLICY_PATH,
      policyNamed: vars.JITBOT_POLICY !== undefined,
      redisUrl: vars.REDIS_URL,
      port: vars.PORT ?? 3000,
      host: vars.HOST ?? '0.0.0.0',
      slack,
      teams,
      logLevel: vars.LOG_LEVEL ?? 'info',
      dataDir: vars.JITBOT_DATA_DIR ?? '.jitbot',
      logLevelNamed: vars.LOG_LEVEL !== undefined,
      keyPrefix: vars.JITBOT_KEY_PREFIX ?? 'jitbot:',
      secretKeyHex: vars.JITBOT_SECRET_KEY,
      auditSigningKeyPem: vars.JITBOT_AUDIT_SIGNING_KEY,
      loginName: vars.USER ?? vars.LOGNAME,
    };
  });

/**
 * Reads and validates jitbot's environment. Secrets may come from `<NAME>_FILE`; empty values count as
 * unset. Throws a {@link ConfigError} listing every bad variable by name (never a secret's value).
 */
export function loadEnvironment(env: NodeJS.ProcessEnv = process.env): Environment {
  const problems: ConfigProblem[] = [];
  const vars: Partial<Record<VariableName, string>> = {};
  for (const name of ENVIRONMENT_VARIABLES) {
    if ((SECRET_VARIABLES as readonly string[]).includes(name)) {
      const found = readVariable(env, name);
      if (found.kind === 'value') vars[name] = found.value;
      else if (found.kind === 'error') problems.push({ variable: found.message.startsWith(`${name}_FILE`) ? `${name}_FILE` : name, message: found.message });
    } else {
      const value = env[name];
      if (value !== undefined && value !== '') vars[name] = value;
    }
  }
  const parsed = EnvironmentSchema.safeParse(vars);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? 'environment');
      // A secret whose file could not be read is reported once, not again as "not set".
      if (problems.some((p) => p.variable === variable || p.variable === `${variable}_FILE`)) continue;
      problems.push({ variable, message: issue.message });
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

/** The secret strings in an environment, for log redaction (a Redis URL contributes its password). */
export function secretValues(environment: Environment): string[] {
  const values = [
    environment.slack?.botToken,
    environment.slack?.signingSecret,
    environment.slack?.appToken,
    environment.teams?.appPassword,
    environment.auditSigningKeyPem,
  ];
  const redis = environment.redisUrl === undefined ? undefined : urlOf(environment.redisUrl);
  if (redis?.password) values.push(redis.password, decodeURIComponentSafe(redis.password));
  return [...new Set(values.filter((v): v is string => typeof v === 'string' && v !== ''))];
}

/** Which policy file applies: `JITBOT_POLICY` (named; must exist) or `./jitbot.yaml` (may be absent: then the demo policy). */
export interface PolicyPathResolution {
  path: string;
  named: boolean;
  exists: boolean;
}

/**
 * Resolves the policy file from `JITBOT_POLICY`, defaulting to `./jitbot.yaml`, and says whether it
 * exists (relative paths are taken from `cwd`). `path` is returned as written, for messages.
 */
export function resolvePolicyPath(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): PolicyPathResolution {
  const named = env.JITBOT_POLICY !== undefined && env.JITBOT_POLICY !== '';
  const path = named ? (env.JITBOT_POLICY as string) : DEFAULT_POLICY_PATH;
  return { path, named, exists: existsSync(resolvePath(cwd, path)) };
}

/** A refinement whose message may quote the (non-secret) value. */
function check(ok: (value: string) => boolean, message: (value: string) => string) {
  return (value: string, ctx: z.RefinementCtx): void => {
    if (!ok(value)) ctx.addIssue({ code: 'custom', message: message(value) });
  };
}

/** A Slack id (`T…`, `E…`, `A…`): upper-case letters and digits after its prefix. */
function slackId(prefix: string, what: string) {
  return z
    .string()
    .trim()
    .superRefine(check((v) => new RegExp(`^${prefix}[A-Z0-9]{2,30}$`).test(v), (v) => `expected ${what} (got ${JSON.stringify(v)})`))
    .optional();
}

function tokenPrefix(prefix: string, what: string) {
  return (value: string, ctx: z.RefinementCtx): void => {
    if (value.startsWith(prefix)) return;
    // Naming the other token kinds (by their public prefix only) saves a trip to the Slack docs.
    const kinds: Record<string, string> = { 'xoxb-': 'a bot token (SLACK_BOT_TOKEN)', 'xapp-': 'an app-level token (SLACK_APP_TOKEN)', 'xoxp-': 'a user token' };
    const seen = Object.entries(kinds).find(([p]) => value.startsWith(p));
    ctx.addIssue({ code: 'custom', message: `${what} starts with ${prefix}${seen ? `; this looks like ${seen[1]}` : ''}` });
  };
}

function isRedisUrl(value: string): boolean {
  const url = urlOf(value);
  return url !== undefined && /^(redis|rediss|redis\+sentinel|redis-sentinel|redis\+cluster|redis-cluster|unix):$/.test(url.protocol);
}

function urlOf(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function decodeURIComponentSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
