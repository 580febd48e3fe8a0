import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';

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

export const AutoApproveRuleSchema = z
  .object({
    requesters: z.array(PrincipalRefSchema).min(1),
    maxDuration: DurationSchema.optional(),
  })
  .strict();

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
  })
  .strict();
export type Resource = z.infer<typeof ResourceSchema>;

export const IssuerEntrySchema = z.object({ type: z.string().min(1) }).loose();
export type IssuerEntry = z.infer<typeof IssuerEntrySchema>;

export const SettingsSchema = z
  .object({
    approvalTimeout: DurationSchema.default(30 * 60_000),
    reminderBefore: DurationSchema.default(5 * 60_000),
    minDuration: DurationSchema.default(60_000),
    /** First re-announcement of an undecided request; later ones double the interval. */
    reannounceAfter: DurationSchema.default(15 * 60_000),
  })
  .strict()
  .default({ approvalTimeout: 30 * 60_000, reminderBefore: 5 * 60_000, minDuration: 60_000, reannounceAfter: 15 * 60_000 });

/** The policy file, version 1, as SPEC.md describes it. Cross-references are checked separately. */
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
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;
export type PolicySettings = Policy['settings'];
