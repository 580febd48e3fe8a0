import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';
import { AuditSinkSchema, sinkName } from './audit-sink-schema.js';

/** A duration written as text in the policy (`30m`), parsed to milliseconds. */
export const DurationSchema = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
    return z.NEVER;
  }
});

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const nameMessage = 'use lowercase letters, digits, ".", "_" or "-" (at most 63 characters, no ":" or spaces)';

/** `alice` (a person) or `group:sre` (a group). */
export const PrincipalRefSchema = z.string().min(1);

export const PersonSchema = z
  .object({
    slack: z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id looks like U0123ABCD').optional(),
    teams: z.string().min(1).optional(),
    email: z.email().optional(),
    github: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'not a GitHub login').optional(),
  })
  .strict();
export type Person = z.infer<typeof PersonSchema>;

/** CI providers whose ID tokens identify pipelines. */
export const PIPELINE_PROVIDERS = ['github', 'gitlab'] as const;
export type PipelineProvider = (typeof PIPELINE_PROVIDERS)[number];

/**
 * Claims a `pipelines:` entry may match on, per provider (SPEC issue 9). At least one of the
 * `anchors` must be given, without a leading wildcard: an audience alone is not an identity, since
 * every repository on github.com can ask for a token with any audience.
 */
export const PIPELINE_CLAIMS = {
  github: {
    claims: [
      'repository',
      'repository_id',
      'repository_owner',
      'repository_owner_id',
      'ref',
      'ref_type',
      'environment',
      'job_workflow_ref',
      'workflow_ref',
      'event_name',
      'runner_environment',
      'sub',
    ],
    anchors: ['repository', 'repository_id', 'repository_owner', 'repository_owner_id'],
  },
  gitlab: {
    claims: [
      'project_path',
      'project_id',
      'namespace_path',
      'namespace_id',
      'ref',
      'ref_type',
      'ref_protected',
      'environment',
      'environment_protected',
      'ci_config_ref_uri',
      'pipeline_source',
      'runner_environment',
      'sub',
    ],
    anchors: ['project_path', 'project_id', 'namespace_path', 'namespace_id'],
  },
} as const satisfies Record<PipelineProvider, { claims: readonly string[]; anchors: readonly string[] }>;

// YAML turns `repository_id: 123` and `ref_protected: true` into a number and a boolean; claims are strings.
const ClaimValueSchema = z.union([z.string().min(1), z.number(), z.boolean()]).transform((v) => String(v));

/** One claim's accepted values: exact text, `*` matching any run of characters, or a list of either. */
export const ClaimPatternSchema = z.union([ClaimValueSchema.transform((v) => [v]), z.array(ClaimValueSchema).min(1)]);

/** A pipeline principal: the CI runs whose verified ID-token claims all match. Referred to as `pipeline:<name>`. */
export const PipelineSchema = z
  .object({
    provider: z.enum(PIPELINE_PROVIDERS),
    description: z.string().default(''),
    claims: z.record(z.string(), ClaimPatternSchema),
  })
  .strict()
  .superRefine((pipeline, ctx) => {
    const known: readonly string[] = PIPELINE_CLAIMS[pipeline.provider].claims;
    const anchors: readonly string[] = PIPELINE_CLAIMS[pipeline.provider].anchors;
    for (const claim of Object.keys(pipeline.claims)) {
      if (!known.includes(claim)) {
        ctx.addIssue({ code: 'custom', path: ['claims', claim], message: `${pipeline.provider} pipelines are matched on ${known.join(', ')}; not "${claim}"` });
      }
    }
    const anchored = anchors.some((claim) => pipeline.claims[claim]?.every((value) => !value.startsWith('*')));
    if (!anchored) {
      ctx.addIssue({
        code: 'custom',
        path: ['claims'],
        message: `name the ${pipeline.provider === 'github' ? 'repository' : 'project'}: match at least one of ${anchors.join(', ')} (without a leading *), or any ${pipeline.provider} pipeline could act as this one`,
      });
    }
  });
export type PipelinePrincipal = z.infer<typeof PipelineSchema>;

/**
 * A GitHub environment whose deployments jitbot approves (a custom deployment protection rule): a
 * deployment to `environment` in one of `repositories` becomes a request for `resource`, with that
 * resource's approvers, quorum and channel.
 */
export const DeploymentGateSchema = z
  .object({
    environment: z.string().min(1),
    /** `owner/repo` names, `*` matching any run of characters; default: every repository the GitHub App is installed on. */
    repositories: z.array(z.string().min(1)).min(1).optional(),
    resource: z.string(),
    /** How long the approval stands (the request's window); default: the resource's default duration. */
    duration: DurationSchema.optional(),
  })
  .strict();
export type DeploymentGate = z.infer<typeof DeploymentGateSchema>;

export const AutoApproveRuleSchema = z
  .object({
    requesters: z.array(PrincipalRefSchema).min(1),
    maxDuration: DurationSchema.optional(),
  })
  .strict();

const openLimit = z.number().int().min(1).max(1_000_000);
const perMinuteLimit = z.number().int().min(1).max(1_000_000);

/** Defaults of `settings.limits`: enough for a person at work, far too few for a flood. */
export const DEFAULT_LIMITS = { openPerRequester: 5, openPerPipeline: 5, requestsPerMinute: 10 } as const;

/**
 * How many requests one requester may have open (pending, approved, being issued, or active) and
 * make per minute. A pipeline principal (`pipeline:<name>`) counts as one requester, whichever run asks.
 */
export const LimitsSchema = z
  .object({
    /** Open requests per person. */
    openPerRequester: openLimit.default(DEFAULT_LIMITS.openPerRequester),
    /** Open requests per pipeline principal. */
    openPerPipeline: openLimit.default(DEFAULT_LIMITS.openPerPipeline),
    /** Requests made in any 60 seconds, per person or pipeline principal. */
    requestsPerMinute: perMinuteLimit.default(DEFAULT_LIMITS.requestsPerMinute),
  })
  .strict()
  .default(DEFAULT_LIMITS);
export type Limits = z.infer<typeof LimitsSchema>;

/** A resource's own limits: each one given replaces the setting for requests of this resource, counted over this resource alone. */
export const ResourceLimitsSchema = z
  .object({ openPerRequester: openLimit.optional(), openPerPipeline: openLimit.optional(), requestsPerMinute: perMinuteLimit.optional() })
  .strict();
export type ResourceLimits = z.infer<typeof ResourceLimitsSchema>;

export const ResourceSchema = z
  .object({
    description: z.string().default(''),
    issuer: z.string(),
    params: z.record(z.string(), z.unknown()).default({}),
    requesters: z.array(PrincipalRefSchema).optional(),
    approvers: z.array(PrincipalRefSchema).default([]),
    approvals: z.number().int().min(0).max(20).default(1),
    defaultDuration: DurationSchema.optional(),
    minDuration: DurationSchema.optional(),
    maxDuration: DurationSchema,
    reason: z.enum(['required', 'optional']).default('required'),
    ticket: z
      .string()
      .refine((pattern) => {
        try {
          new RegExp(pattern);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression')
      .optional(),
    channel: z.object({ slack: z.string().optional(), teams: z.string().optional() }).strict().default({}),
    autoApprove: z.array(AutoApproveRuleSchema).default([]),
    extensions: z
      .object({ max: z.number().int().min(0).default(2), maxTotal: DurationSchema.optional() })
      .strict()
      .default({ max: 2 }),
    limits: ResourceLimitsSchema.optional(),
  })
  .strict();
export type Resource = z.infer<typeof ResourceSchema>;

export const IssuerEntrySchema = z.object({ type: z.string().min(1) }).loose();
export type IssuerEntry = z.infer<typeof IssuerEntrySchema>;

/** `settings.audit`: where the key that signs audit checkpoints lives (outside Redis; see docs/operations.md). */
export const AuditSettingsSchema = z
  .object({
    /** An Ed25519 private key, PEM; `JITBOT_AUDIT_SIGNING_KEY` overrides it. Relative paths are from the working directory. */
    signingKeyFile: z.string().min(1).optional(),
    /** Where the sealed trail is streamed (see audit-sink-schema.ts); left out: one file sink. */
    sinks: z
      .array(AuditSinkSchema)
      .refine((sinks) => new Set(sinks.map(sinkName)).size === sinks.length, 'two sinks have the same name; give one a `name:`')
      .optional(),
  })
  .strict()
  .default({});

/**
 * `settings.retention`: how long finished requests (denied, expired, released, revoked, cancelled,
 * timed out, failed) and sealed audit events stay in Redis. Left out, nothing is removed.
 * Audit events leave Redis only once every sink holds them, and never past the last signed checkpoint.
 */
export const RetentionSchema = z
  .object({
    requests: DurationSchema.optional(),
    auditInRedis: DurationSchema.optional(),
  })
  .strict()
  .default({});
export type Retention = z.infer<typeof RetentionSchema>;

export const SettingsSchema = z
  .object({
    approvalTimeout: DurationSchema.default(30 * 60_000),
    reminderBefore: DurationSchema.default(5 * 60_000),
    minDuration: DurationSchema.default(60_000),
    /** First re-announcement of an undecided request; later ones double the interval. */
    reannounceAfter: DurationSchema.default(15 * 60_000),
    limits: LimitsSchema,
    audit: AuditSettingsSchema,
    retention: RetentionSchema,
  })
  .strict()
  .default({ approvalTimeout: 30 * 60_000, reminderBefore: 5 * 60_000, minDuration: 60_000, reannounceAfter: 15 * 60_000, limits: DEFAULT_LIMITS, audit: {}, retention: {} });

/** The policy file, version 1, as docs/policy.md describes it. Cross-references are checked separately. */
export const PolicySchema = z
  .object({
    version: z.literal(1, { error: 'only "version: 1" policies exist' }),
    settings: SettingsSchema,
    // `alice:` with nothing after it is a person with no platform ids yet (console only).
    people: z.record(z.string().regex(NAME, nameMessage), PersonSchema.nullable().transform((p) => p ?? {})),
    groups: z.record(z.string().regex(NAME, nameMessage), z.array(z.string())).default({}),
    admins: z.array(PrincipalRefSchema).default([]),
    issuers: z.record(z.string().regex(NAME, nameMessage), IssuerEntrySchema).default({}),
    resources: z.record(z.string().regex(NAME, nameMessage), ResourceSchema),
    /** CI pipelines that may request access with an OIDC ID token; `pipeline:<name>` in `requesters`. */
    pipelines: z.record(z.string().regex(NAME, nameMessage), PipelineSchema).default({}),
    /** GitHub environments gated by jitbot (deployment protection rules), first match wins. */
    deploymentProtection: z.array(DeploymentGateSchema).default([]),
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;
export type PolicySettings = Policy['settings'];
