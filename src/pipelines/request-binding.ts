import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { RequestId } from '../core/domain/access-request.js';
import type { PipelineProvider } from '../core/policy/policy-schema.js';
import type { AdapterState } from '../core/ports/adapter-state.js';
import type { VerifiedToken } from './oidc-verifier.js';

/** The header that carries the pickup secret on `GET /v1/requests/<id>` and `POST …/release`. */
export const PICKUP_HEADER = 'jitbot-pickup-secret';

/**
 * Job-level claims a request is bound to, beyond the run (`repository_id` + `run_id` /
 * `project_id` + `pipeline_id`, which {@link sameRun} checks): another job of the same run, a re-run
 * attempt or another workflow carries different values. GitHub sends no job id, so two jobs of one
 * workflow can look alike here; the pickup secret tells them apart.
 */
export const BOUND_CLAIMS: Record<PipelineProvider, readonly string[]> = {
  github: ['job_workflow_ref', 'environment', 'run_attempt', 'workflow_ref', 'ref', 'event_name'],
  gitlab: ['job_id', 'pipeline_id', 'environment', 'ref', 'ref_protected'],
};

const NAMESPACE = 'pipeline-binding';

const BindingSchema = z.object({
  v: z.literal(1),
  /** `pipeline:<name>`: the principal that made the request; every later call must still match it. */
  principal: z.string(),
  claims: z.record(z.string(), z.string().nullable()),
  /** SHA-256 of the pickup secret, hex. The secret itself is never stored. */
  pickupHash: z.string().regex(/^[0-9a-f]{64}$/),
  /** With an Idempotency-Key: the salt the secret was derived with, so a replay can hand it out again. */
  salt: z.string().optional(),
});
export type RequestBinding = z.infer<typeof BindingSchema>;

/** Why a caller may not use a request; audited, never shown to the caller (who gets a plain 404). */
export type BindingRefusal = 'unbound' | 'principal_mismatch' | 'other_job' | 'missing_pickup_secret' | 'wrong_pickup_secret';

/** The bound claims of a verified token, as text; absent claims are null (and must stay absent). */
export function boundClaims(token: VerifiedToken): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const name of BOUND_CLAIMS[token.provider.provider]) {
    const value = token.claims[name];
    out[name] = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : null;
  }
  return out;
}

/**
 * A new pickup secret (256 bits, base64url) and the binding that stores only its hash. With an
 * Idempotency-Key the secret is derived from the key and a random salt, so a replay of the same
 * call (same key, same job) is answered with the same secret without the secret being kept anywhere.
 */
export function newBinding(principal: string, token: VerifiedToken, idempotencyKey: string | undefined): { binding: RequestBinding; secret: string } {
  const salt = idempotencyKey === undefined ? undefined : randomBytes(32).toString('base64url');
  const secret = salt === undefined ? randomBytes(32).toString('base64url') : derive(salt, idempotencyKey!);
  return { secret, binding: { v: 1, principal, claims: boundClaims(token), pickupHash: hash(secret), ...(salt ? { salt } : {}) } };
}

/** The secret a replay with the same Idempotency-Key gets back, if the binding was made with one. */
export function replaySecret(binding: RequestBinding, idempotencyKey: string): string | undefined {
  if (binding.salt === undefined) return undefined;
  const secret = derive(binding.salt, idempotencyKey);
  return safeEqualHex(hash(secret), binding.pickupHash) ? secret : undefined;
}

export async function saveBinding(store: Pick<AdapterState, 'putValue'>, id: RequestId, binding: RequestBinding): Promise<void> {
  await store.putValue(NAMESPACE, id, JSON.stringify(binding));
}

export async function loadBinding(store: Pick<AdapterState, 'getValue'>, id: RequestId): Promise<RequestBinding | undefined> {
  const text = await store.getValue(NAMESPACE, id);
  if (text === undefined) return undefined;
  try {
    const parsed = BindingSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the caller's verified token may use the bound request (as Vault checks `bound_claims` on
 * every login): it still matches the same `pipelines:` entry of the current policy, carries the same
 * job-level claims, and presents the pickup secret (compared in constant time). Undefined means yes.
 * `stillMatches` asks core whether the principal is still a policy entry this token matches.
 */
export function refuseBinding(
  binding: RequestBinding | undefined,
  stillMatches: (principal: string) => boolean,
  token: VerifiedToken,
  presented: string | undefined,
  checkSecret = true,
): BindingRefusal | undefined {
  if (!binding) return 'unbound';
  if (!stillMatches(binding.principal)) return 'principal_mismatch';
  const claims = boundClaims(token);
  const keys = new Set([...Object.keys(binding.claims), ...Object.keys(claims)]);
  for (const key of keys) if ((binding.claims[key] ?? null) !== (claims[key] ?? null)) return 'other_job';
  if (!checkSecret) return undefined;
  if (presented === undefined || presented === '') return 'missing_pickup_secret';
  return safeEqualHex(hash(presented), binding.pickupHash) ? undefined : 'wrong_pickup_secret';
}

function derive(salt: string, idempotencyKey: string): string {
  return createHmac('sha256', Buffer.from(salt, 'base64url')).update(`jitbot pickup secret\u0000${idempotencyKey}`).digest('base64url');
}

function hash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

function safeEqualHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
