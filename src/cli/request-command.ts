import { randomBytes, randomUUID } from 'node:crypto';
import { appendFileSync, chmodSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseDuration } from '../core/domain/duration.js';
import { PICKUP_HEADER } from '../pipelines/request-binding.js';
import { apiError, CliError, createClient, DEFAULT_TOKEN_VARIABLE, log, sleep, withRetries, type ApiBody, type Client } from './pipeline-client.js';

/**
 * `jitbot request` and `jitbot release`: the pipeline's side of the pipelines API. Authenticates with
 * the CI provider's OIDC ID token (GitHub Actions: fetched from the runner for each call; GitLab and
 * others: an `id_tokens:` variable), asks for access, waits for the decision, and hands the
 * credential to the job without printing it. Logs go to stderr; stdout carries only results.
 */

/** Exit codes, documented in docs/pipelines.md. */
export const EXIT = { approved: 0, error: 1, denied: 3, timedOut: 4 } as const;

const WAIT_PER_CALL = '60s';

export interface RequestOptions {
  resource: string;
  duration?: string;
  reason?: string;
  wait?: boolean;
  timeout?: string;
  outputFile?: string;
  url?: string;
  audience?: string;
  idTokenVar?: string;
  /** Where to keep the request id and pickup secret for `jitbot release --id-file` (a later step or after_script). */
  idFile?: string;
}

export function registerRequestCommand(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('request')
    .description('for pipelines: request access with the CI OIDC ID token, wait for approval in chat, receive the credential (exit 0 approved, 1 error, 3 denied, 4 timed out)')
    .requiredOption('--resource <name>', 'the resource to request')
    .option('--duration <duration>', 'how long, e.g. 30m (default: the resource default)')
    .option('--reason <text>', 'why; shown to approvers')
    .option('--wait', 'wait for the decision and write the credential')
    .option('--timeout <duration>', 'with --wait: give up (and withdraw the request) after this long')
    .option('--output-file <file>', 'write the credential to this file (mode 0600), or - for stdout')
    .option('--url <url>', 'jitbot base URL (default: $JITBOT_URL)')
    .option('--audience <aud>', 'audience of the ID token (default: $JITBOT_OIDC_AUDIENCE, else the jitbot URL)')
    .option('--id-token-var <name>', `variable holding the ID token outside GitHub Actions (default: $JITBOT_ID_TOKEN_VAR, else ${DEFAULT_TOKEN_VARIABLE})`)
    .option('--id-file <file>', 'write the request id and its pickup secret to this file (mode 0600), for `jitbot release --id-file` later in this job')
    .action(async (options: RequestOptions) => {
      process.exit(await runRequest(options, env));
    });
  program
    .command('release')
    .description('for pipelines: end the access a `jitbot request` in this run obtained (or withdraw it while pending)')
    .argument('[id]', 'the request id (default: read from --id-file, else $JITBOT_REQUEST_ID)')
    .option('--id-file <file>', 'read the request id and pickup secret from this file (written by `jitbot request --id-file`; default secret: $JITBOT_PICKUP_SECRET)')
    .option('--url <url>', 'jitbot base URL (default: $JITBOT_URL)')
    .option('--audience <aud>', 'audience of the ID token (default: $JITBOT_OIDC_AUDIENCE, else the jitbot URL)')
    .option('--id-token-var <name>', `variable holding the ID token outside GitHub Actions (default: ${DEFAULT_TOKEN_VARIABLE})`)
    .action(async (id: string | undefined, options: Omit<RequestOptions, 'resource'>) => {
      process.exit(await runRelease(id, options, env));
    });
}

/** Runs `jitbot request`; returns the exit code. */
export async function runRequest(options: RequestOptions, env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const onGitHub = env.GITHUB_ACTIONS === 'true';
    const output = options.outputFile ?? (onGitHub && env.GITHUB_OUTPUT ? 'github-output' : undefined);
    if (options.wait && output === undefined) {
      throw new CliError('where should the credential go? Pass --output-file FILE (mode 0600) or --output-file - (stdout). On GitHub Actions it becomes the masked step output "credential".');
    }
    const timeoutMs = options.timeout === undefined ? undefined : parseDurationOption('--timeout', options.timeout);
    const client = createClient(options, env);

    const deadline = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    // Random, and kept only in memory: a replay with it (same job) gets the same pickup secret back.
    const idempotencyKey = randomUUID();
    const created = await withRetries(
      () =>
        client.call(
          'POST',
          '/v1/requests',
          { resource: options.resource, ...(options.duration ? { duration: options.duration } : {}), reason: options.reason ?? '' },
          { 'idempotency-key': idempotencyKey },
          deadline === undefined ? undefined : Math.min(30_000, Math.max(1000, deadline - Date.now())),
        ),
      deadline,
    );
    if (created.status !== 201 && created.status !== 200) throw apiError('the request was refused', created);
    const id = String(created.body.id);
    // Only this job may read or release the request: every later call presents the pickup secret.
    const pickup = typeof created.body.pickupSecret === 'string' ? created.body.pickupSecret : undefined;
    delete created.body.pickupSecret;
    const pickupHeaders: Record<string, string> = pickup ? { [PICKUP_HEADER]: pickup } : {};
    log(`${id} requested: ${String(created.body.description ?? created.body.status)}`);
    if (onGitHub) exportForLaterSteps(env, id, pickup);
    if (options.idFile) writeIdFile(options.idFile, id, pickup);
    if (!options.wait) {
      process.stdout.write(`${JSON.stringify({ id, status: created.body.status })}\n`);
      return EXIT.approved;
    }

    let stop: (() => void) | undefined;
    const interrupted = new Promise<'signal'>((resolve) => {
      const handler = () => resolve('signal');
      process.once('SIGINT', handler);
      process.once('SIGTERM', handler);
      stop = () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    });
    try {
      let current = created.body;
      let lastStatus = '';
      for (;;) {
        const status = String(current.status);
        if (status !== lastStatus) {
          if (lastStatus !== '') log(`${id}: ${String(current.description ?? status)}`);
          lastStatus = status;
        }
        const outcome = settle(current);
        if (outcome !== undefined) return deliver(outcome, current, id, output!, onGitHub, env);
        if (deadline !== undefined && Date.now() >= deadline) {
          log(`${id}: no decision within ${options.timeout}; withdrawing the request`);
          await release(client, id, pickupHeaders).catch((error: unknown) => log(`could not withdraw ${id}: ${(error as Error).message}`));
          return EXIT.timedOut;
        }
        const left = deadline === undefined ? undefined : Math.max(1000, deadline - Date.now());
        const wait = left === undefined || left >= 60_000 ? WAIT_PER_CALL : `${Math.ceil(left / 1000)}s`;
        const next = await Promise.race([
          withRetries(() => client.call('GET', `/v1/requests/${id}?wait=${wait}&version=${String(current.version ?? '')}`, undefined, pickupHeaders, 90_000), deadline),
          interrupted,
        ]);
        if (next === 'signal') {
          log(`${id}: interrupted; withdrawing the request`);
          await release(client, id, pickupHeaders).catch(() => undefined);
          return EXIT.error;
        }
        if (next.status !== 200) throw apiError(`could not read ${id}`, next);
        current = next.body;
      }
    } finally {
      stop?.();
    }
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
}

/** Runs `jitbot release`; returns the exit code. */
export async function runRelease(idArgument: string | undefined, options: Omit<RequestOptions, 'resource'>, env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const fromFile = options.idFile ? readIdFile(options.idFile) : undefined;
    const id = idArgument ?? fromFile?.id ?? env.JITBOT_REQUEST_ID;
    if (!id) throw new CliError('which request? Pass its id or --id-file, or run in the job where `jitbot request` set JITBOT_REQUEST_ID.');
    const pickup = fromFile?.pickup ?? env.JITBOT_PICKUP_SECRET;
    const body = await release(createClient(options, env), id, pickup ? { [PICKUP_HEADER]: pickup } : {});
    log(`${id}: ${String(body.description ?? body.status)}`);
    process.stdout.write(`${JSON.stringify({ id, status: body.status })}\n`);
    return EXIT.approved;
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
}

/** The exit code a request's state calls for, or undefined while it is still undecided. */
function settle(body: ApiBody): number | undefined {
  switch (body.status) {
    case 'pending':
    case 'approved':
    case 'issuing':
      return undefined;
    case 'active':
      return EXIT.approved;
    case 'denied':
    case 'cancelled':
      return EXIT.denied;
    case 'timed_out':
      return EXIT.timedOut;
    default:
      return EXIT.error;
  }
}

function deliver(code: number, body: ApiBody, id: string, output: string, onGitHub: boolean, env: NodeJS.ProcessEnv): number {
  if (code === EXIT.denied) {
    log(body.status === 'denied' ? `${id} denied by ${String(body.deniedBy)}: ${String(body.denyReason)}` : `${id} was cancelled`);
    return code;
  }
  if (code === EXIT.timedOut) {
    log(`${id}: nobody decided in time`);
    return code;
  }
  if (code !== EXIT.approved) {
    log(`${id} is ${String(body.status)}${body.error ? `: ${String(body.error)}` : ''}; no credential`);
    return code;
  }
  const credential = body.credential as { label?: unknown; value?: unknown } | undefined;
  const windowEnd = (body.window as { end?: string } | undefined)?.end;
  if (typeof credential?.value === 'string') {
    writeCredential(credential.value, output, onGitHub, env);
    log(`${id} approved; ${String(credential.label ?? 'credential')} written to ${output === 'github-output' ? 'the step output "credential" (masked)' : output === '-' ? 'stdout' : output}; access ends at ${windowEnd ?? '?'} or when released`);
  } else if (body.credentialStatus === 'collected') {
    log(`${id} is active, but its credential was already collected by an earlier read`);
    return EXIT.error;
  } else {
    log(`${id} approved; this resource issues no secret (${String((body.access as { summary?: string } | undefined)?.summary ?? 'approval only')})`);
  }
  if (output !== '-') process.stdout.write(`${JSON.stringify({ id, status: body.status, windowEnd })}\n`);
  return EXIT.approved;
}

/** To a file (0600), stdout, or GitHub's step output; on GitHub Actions each line is masked first. */
function writeCredential(value: string, output: string, onGitHub: boolean, env: NodeJS.ProcessEnv): void {
  if (onGitHub) for (const line of value.split(/\r?\n/)) if (line.trim() !== '') process.stdout.write(`::add-mask::${line}\n`);
  if (output === '-') {
    process.stdout.write(`${value}\n`);
  } else if (output === 'github-output') {
    const delimiter = `JITBOT_${randomBytes(12).toString('hex')}`;
    appendFileSync(env.GITHUB_OUTPUT!, `credential<<${delimiter}\n${value}\n${delimiter}\n`, { mode: 0o600 });
  } else {
    writeFileSync(output, value, { mode: 0o600 });
    chmodSync(output, 0o600); // the file may have existed with a wider mode
  }
}

/**
 * `JITBOT_REQUEST_ID` and `JITBOT_PICKUP_SECRET` for later steps of this job (`jitbot release` in an
 * `if: always()` step; GITHUB_ENV reaches no other job), and the step output `request-id`. The
 * secret is masked first, so the runner blanks it should a later step print it.
 */
function exportForLaterSteps(env: NodeJS.ProcessEnv, id: string, pickup: string | undefined): void {
  if (pickup && env.GITHUB_ENV) process.stdout.write(`::add-mask::${pickup}\n`);
  if (env.GITHUB_ENV) appendFileSync(env.GITHUB_ENV, `JITBOT_REQUEST_ID=${id}\n${pickup && /^[A-Za-z0-9_-]+$/.test(pickup) ? `JITBOT_PICKUP_SECRET=${pickup}\n` : ''}`);
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, `request-id=${id}\n`);
}

/** The id, and on the next line the pickup secret: mode 0600, since the secret lets its holder take the credential. */
function writeIdFile(file: string, id: string, pickup: string | undefined): void {
  writeFileSync(file, `${id}\n${pickup ? `${pickup}\n` : ''}`, { mode: 0o600 });
  chmodSync(file, 0o600); // the file may have existed with a wider mode
}

async function release(client: Client, id: string, pickupHeaders: Record<string, string>): Promise<ApiBody> {
  for (let attempt = 0; ; attempt++) {
    const response = await withRetries(() => client.call('POST', `/v1/requests/${encodeURIComponent(id)}/release`, {}, pickupHeaders));
    if (response.status === 200) return response.body;
    if (response.status === 409 && response.body.error === 'not_active_yet' && attempt < 10) {
      await sleep(2000);
      continue;
    }
    throw apiError(`could not release ${id}`, response);
  }
}

function readIdFile(file: string): { id: string | undefined; pickup: string | undefined } {
  try {
    const [id, pickup] = readFileSync(file, 'utf8').split('\n').map((line) => line.trim());
    return { id: id || undefined, pickup: pickup || undefined };
  } catch (error) {
    throw new CliError(`--id-file ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}); did \`jitbot request --id-file\` run?`);
  }
}

function parseDurationOption(name: string, text: string): number {
  try {
    return parseDuration(text);
  } catch (error) {
    throw new CliError(`${name}: ${(error as Error).message}`);
  }
}
