import { once } from 'node:events';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { JitbotApp } from '../app/build-app.js';
import { createLogger } from '../app/logger.js';
import { embeddedRedisUrl } from '../app/redis-connection.js';
import { ConfigError } from '../config/config-error.js';
import { loadEnvironment, secretValues, type Environment } from '../config/environment.js';
import {
  FINAL,
  REQUEST_STATUSES,
  describeActor,
  parseRequestId,
  type AccessRequest,
  type Actor,
  type RequestStatus,
} from '../core/domain/access-request.js';
import type { AuditEvent } from '../core/domain/audit-event.js';
import { formatDuration, parseDuration } from '../core/domain/duration.js';
import { isJitError } from '../core/domain/errors.js';
import { issuerNamed, resourceNamed } from '../core/policy/policy-lookup.js';
import type { Policy } from '../core/policy/policy-schema.js';
import { builtinIssuerFactories } from '../issuers/registry.js';
import { loadStartupPolicy } from './run-command.js';

/** Exit codes: 0 done, 1 the thing asked for failed or does not exist, 2 jitbot could not start (config, policy, Redis). */
type ExitCode = 0 | 1 | 2;

/** Where an operator command writes: results to stdout, everything else to stderr. */
export interface OperatorIo {
  out(text: string): Promise<void>;
  err(text: string): void;
  now(): number;
}

interface OperatorContext {
  app: JitbotApp;
  policy: Policy;
  io: OperatorIo;
}

/**
 * `jitbot grants | requests | revoke | audit export | audit verify`: an operator's tools for the day
 * something goes wrong. They read the same environment and policy as the server, talk to the same
 * Redis (REDIS_URL; or the embedded redis-server a running jitbot started; or one started for the
 * command), run no workers and serve no HTTP. A revocation goes through the same job path as a chat
 * one, so a running jitbot worker carries it out, and it is audited with the operator's OS user.
 */
export function registerOperatorCommands(program: Command): void {
  program
    .command('grants')
    .description('list the grants that hold access now: id, requester, resource, state, issuer, end, time left')
    .option('--json', 'print JSON instead of a table')
    .action((options: { json?: boolean }) => runOperator((ctx) => listGrants(ctx, options.json === true)));

  program
    .command('requests')
    .description('list requests, newest first')
    .option('--state <states>', `only these states (comma-separated): ${REQUEST_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON instead of a table')
    .action((options: { state?: string; limit: string; json?: boolean }) => runOperator((ctx) => listRequests(ctx, options)));

  program
    .command('revoke')
    .description("end a grant now, as an operator (the revocation runs as a job on a jitbot worker; audited with your OS user)")
    .argument('<id>', 'the request id, e.g. JIT-42')
    .option('--reason <text...>', 'why (goes into the audit trail)')
    .option('--wait [seconds]', 'wait until a worker has revoked it (default 30 seconds)')
    .action((id: string, options: { reason?: string[]; wait?: string | boolean }) => runOperator((ctx) => revokeGrant(ctx, id, options)));

  const audit = program.command('audit').description('export or verify the audit trail');
  audit
    .command('export')
    .description('print the audit trail, one event per line (JSON Lines) or as CSV')
    .option('--since <time>', 'only events at or after this time: an ISO date (2026-01-31, 2026-01-31T12:00:00Z) or a duration ago (24h, 7d)')
    .option('--format <format>', 'jsonl or csv', 'jsonl')
    .action((options: { since?: string; format: string }) => runOperator((ctx) => exportAudit(ctx, options), { validate: () => exportProblem(options) }));
  audit
    .command('verify')
    .description("check the audit trail's hash chain; names the first broken link")
    .action(() => runOperator((ctx) => verifyAudit(ctx)));
}

/** The operator's identity for the audit trail. */
export function operatorActor(): Actor {
  let osUser: string;
  try {
    osUser = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment is the best we have.
    osUser = process.env.USER || process.env.LOGNAME || `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return { kind: 'operator', osUser };
}

async function runOperator(command: (ctx: OperatorContext) => Promise<ExitCode>, checks?: { validate(): string | undefined }): Promise<void> {
  const io = standardIo();
  const problem = checks?.validate();
  if (problem) {
    io.err(`jitbot: ${problem}`);
    return finish(1);
  }
  let environment: Environment;
  try {
    environment = loadEnvironment();
  } catch (error) {
    if (error instanceof ConfigError) {
      io.err(`jitbot: ${error.message}`);
      return finish(2);
    }
    throw error;
  }
  const loaded = loadStartupPolicy();
  const secrets = [...secretValues(environment), ...loaded.secrets];
  const log = createLogger(process.env.LOG_LEVEL ? environment.logLevel : 'warn', () => secrets);
  const dataDir = path.resolve(environment.dataDir);
  const redisUrl = environment.redisUrl ?? (await runningEmbeddedRedis(dataDir));
  if (!redisUrl) log.info({ dataDir }, 'no jitbot is running: starting the embedded redis-server for this command');

  let app: JitbotApp;
  try {
    const { buildApp } = await import('../app/build-app.js');
    app = await buildApp({
      policy: loaded.policy,
      issuerFactories: builtinIssuerFactories(),
      log,
      ...(redisUrl ? { redisUrl } : {}),
      dataDir,
      worker: false,
      prefix: process.env.JITBOT_KEY_PREFIX || 'jitbot:',
      ...(process.env.JITBOT_SECRET_KEY ? { secretKeyHex: process.env.JITBOT_SECRET_KEY } : {}),
    });
  } catch (error) {
    // The URL itself is not printed: REDIS_URL may hold a password.
    io.err(`jitbot: cannot use ${redisUrl ? (environment.redisUrl ? 'the Redis at REDIS_URL' : 'the running embedded redis-server') : 'an embedded redis-server'}: ${error instanceof Error ? error.message : String(error)}`);
    return finish(2);
  }
  let code: ExitCode;
  try {
    code = await command({ app, policy: loaded.policy, io });
  } catch (error) {
    io.err(`jitbot: ${isJitError(error) ? error.message : error instanceof Error ? error.message : String(error)}`);
    code = 1;
  } finally {
    await app.stop().catch((error: unknown) => log.warn({ error: String(error) }, 'error while closing'));
  }
  return finish(code);
}

async function finish(code: ExitCode): Promise<void> {
  // Let stdout drain (a pipe may be slow) before exiting with the code.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  process.exit(code);
}

function standardIo(): OperatorIo {
  return {
    async out(text) {
      if (!process.stdout.write(text)) await once(process.stdout, 'drain');
    },
    err(text) {
      process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    now: () => Date.now(),
  };
}

/** The URL in `<dataDir>/redis.url`, if the redis-server it names answers. */
async function runningEmbeddedRedis(dataDir: string): Promise<string | undefined> {
  const url = embeddedRedisUrl(dataDir);
  return url && (await redisAnswers(url, 1_000)) ? url : undefined;
}

/**
 * Whether a Redis server answers PING at `url` (a plain TCP round trip, so a stale URL file costs a
 * second, not a reconnecting client).
 */
export async function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== 'redis:') return false;
  return new Promise((resolve) => {
    const socket = net.connect({ host: target.hostname || '127.0.0.1', port: Number(target.port || 6379) });
    let answer = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      // +PONG, or an error such as -NOAUTH: either way a Redis server is there.
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG') || answer.startsWith('-'));
    });
  });
}

// ── grants ────────────────────────────────────────────────────────────────────

/** One grant that holds access, as `jitbot grants --json` prints it. */
export interface GrantRow {
  id: string;
  requester: string;
  resource: string;
  state: RequestStatus;
  issuer: string;
  issuerType: string;
  endsAt: string;
  /** Negative once the end has passed (a revocation running late or failing). */
  timeLeftMs: number;
  approvedBy: string[];
  reason: string;
}

async function holdingAccess(ctx: OperatorContext): Promise<AccessRequest[]> {
  return ctx.app.core.operator.grantsHoldingAccess();
}

export function grantRows(requests: readonly AccessRequest[], policy: Policy, now: number): GrantRow[] {
  const rows: GrantRow[] = [];
  for (const r of requests) {
    if (!('window' in r)) continue;
    const issuer = resourceNamed(policy, r.resource)?.issuer ?? '?';
    rows.push({
      id: r.id,
      requester: r.requester,
      resource: r.resource,
      state: r.status,
      issuer,
      issuerType: issuerNamed(policy, issuer)?.type ?? '?',
      endsAt: new Date(r.window.end).toISOString(),
      timeLeftMs: r.window.end - now,
      approvedBy: r.autoApprovedBy !== undefined && r.approvals.length === 0 ? ['policy'] : r.approvals.map((a) => a.person),
      reason: r.reason,
    });
  }
  return rows.sort((a, b) => Date.parse(a.endsAt) - Date.parse(b.endsAt) || idNumber(a.id) - idNumber(b.id));
}

async function listGrants(ctx: OperatorContext, json: boolean): Promise<ExitCode> {
  const rows = grantRows(await holdingAccess(ctx), ctx.policy, ctx.io.now());
  if (json) {
    await ctx.io.out(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (rows.length === 0) {
    await ctx.io.out('No grant holds access.\n');
    return 0;
  }
  await ctx.io.out(
    table(
      ['ID', 'REQUESTER', 'RESOURCE', 'STATE', 'ISSUER', 'ENDS AT', 'TIME LEFT'],
      rows.map((g) => [g.id, g.requester, g.resource, g.state, `${g.issuer} (${g.issuerType})`, shortTime(g.endsAt), timeLeft(g.timeLeftMs)]),
    ),
  );
  return 0;
}

function timeLeft(ms: number): string {
  if (ms > 0) return formatDuration(ms);
  return `ended ${formatDuration(-ms)} ago`;
}

// ── requests ──────────────────────────────────────────────────────────────────

async function listRequests(ctx: OperatorContext, options: { state?: string; limit: string; json?: boolean }): Promise<ExitCode> {
  const limit = Number(options.limit);
  if (!Number.isInteger(limit) || limit <= 0) {
    ctx.io.err(`jitbot: --limit takes a positive whole number (got "${oneLine(options.limit, 20)}")`);
    return 1;
  }
  let states: RequestStatus[] = [...REQUEST_STATUSES];
  if (options.state !== undefined) {
    const asked = options.state.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    const unknown = asked.filter((s) => !(REQUEST_STATUSES as readonly string[]).includes(s));
    if (asked.length === 0 || unknown.length > 0) {
      ctx.io.err(`jitbot: unknown state${unknown.length === 1 ? '' : 's'} ${unknown.map((s) => `"${oneLine(s, 20)}"`).join(', ') || '(none given)'}; states are: ${REQUEST_STATUSES.join(', ')}`);
      return 1;
    }
    states = asked as RequestStatus[];
  }
  const found = await ctx.app.core.operator.requestsInStatus(states, limit);
  const requests = found.sort((a, b) => idNumber(b.id) - idNumber(a.id)).slice(0, limit);
  if (options.json) {
    await ctx.io.out(`${JSON.stringify(requests.map((r) => requestJson(r)), null, 2)}\n`);
    return 0;
  }
  if (requests.length === 0) {
    await ctx.io.out(`No requests${options.state ? ` in state ${states.join(', ')}` : ''}.\n`);
    return 0;
  }
  await ctx.io.out(
    table(
      ['ID', 'REQUESTER', 'RESOURCE', 'STATE', 'DURATION', 'CREATED AT', 'REASON'],
      requests.map((r) => [r.id, r.requester, r.resource, r.status, formatDuration(r.durationMs), shortTime(new Date(r.createdAt).toISOString()), oneLine(r.reason, 50)]),
    ),
  );
  return 0;
}

function requestJson(r: AccessRequest): Record<string, unknown> {
  return {
    id: r.id,
    requester: r.requester,
    resource: r.resource,
    state: r.status,
    durationMs: r.durationMs,
    reason: r.reason,
    createdAt: new Date(r.createdAt).toISOString(),
    approvals: r.approvals.map((a) => a.person),
    approvalsRequired: r.approvalsRequired,
    ...('window' in r ? { startsAt: new Date(r.window.start).toISOString(), endsAt: new Date(r.window.end).toISOString() } : {}),
    ...('endedAt' in r ? { endedAt: new Date(r.endedAt).toISOString() } : {}),
  };
}

// ── revoke ────────────────────────────────────────────────────────────────────

async function revokeGrant(ctx: OperatorContext, idText: string, options: { reason?: string[]; wait?: string | boolean }): Promise<ExitCode> {
  const id = parseRequestId(idText);
  if (!id) {
    ctx.io.err(`jitbot: "${oneLine(idText, 30)}" is not a request id; ids look like JIT-42.`);
    return 1;
  }
  let waitMs: number | undefined;
  if (options.wait !== undefined && options.wait !== false) {
    const seconds = options.wait === true ? 30 : Number(options.wait);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      ctx.io.err(`jitbot: --wait takes a number of seconds (got "${oneLine(String(options.wait), 20)}")`);
      return 1;
    }
    waitMs = seconds * 1000;
  }
  const { core } = ctx.app;
  const before = await core.findRequest(id);
  if (!before) {
    ctx.io.err(`jitbot: there is no request ${id}. \`jitbot grants\` lists the grants that hold access.`);
    return 1;
  }
  const actor = operatorActor();
  const who = describeActor(actor);
  const reason = (options.reason ?? []).join(' ');
  let after: AccessRequest;
  try {
    after = await ctx.app.core.revoke(actor, id, reason);
  } catch (error) {
    if (!isJitError(error)) throw error;
    ctx.io.err(`jitbot: ${error.message}`);
    return 1;
  }
  if (after.status === 'revoked') {
    await ctx.io.out(`${id}: its revocation had been failing; closed as revoked by ${who}. Check that ${after.requester}'s access to ${after.resource} is really gone.\n`);
    return 0;
  }
  await ctx.io.out(`${id}: revoking ${after.requester}'s access to ${after.resource} now (requested by ${who}${reason ? `: ${oneLine(reason, 80)}` : ''}).\n`);
  if (waitMs === undefined) {
    await ctx.io.out('A running jitbot worker carries out the revocation; `jitbot grants` shows the grant until it is gone.\n');
    return 0;
  }
  const deadline = ctx.io.now() + waitMs;
  for (;;) {
    const current = await core.findRequest(id);
    if (current && FINAL.has(current.status)) {
      await ctx.io.out(`${id}: ${current.status}.\n`);
      return 0;
    }
    if (ctx.io.now() >= deadline) {
      ctx.io.err(`jitbot: ${id} is still ${current?.status ?? 'unknown'} after ${formatDuration(waitMs)}; is a jitbot worker running against this Redis and prefix?`);
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

// ── audit ─────────────────────────────────────────────────────────────────────

function exportProblem(options: { since?: string; format: string }): string | undefined {
  if (options.format !== 'jsonl' && options.format !== 'csv') return `--format is jsonl or csv (got "${oneLine(options.format, 20)}")`;
  if (options.since !== undefined && parseSince(options.since, Date.now()) === undefined) {
    return `--since takes an ISO date or time (2026-01-31, 2026-01-31T12:00:00Z) or a duration meaning that long ago (24h, 7d, 1h30m); got "${oneLine(options.since, 40)}"`;
  }
  return undefined;
}

/** `--since`: an ISO date/time, or a duration meaning "that long before now". Undefined when neither. */
export function parseSince(text: string, now: number): number | undefined {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/i.test(trimmed)) {
    const ms = Date.parse(trimmed);
    return Number.isNaN(ms) ? undefined : ms;
  }
  try {
    return now - parseDuration(trimmed);
  } catch {
    return undefined;
  }
}

export const CSV_COLUMNS = ['seq', 'at', 'type', 'requestId', 'actor', 'data', 'prev', 'hash'] as const;

/** One audit event as a CSV line (RFC 4180 quoting); `actor` as jitbot names it, `data` as JSON. */
export function csvLine(event: AuditEvent): string {
  const cells = [String(event.seq), event.at, event.type, event.requestId ?? '', describeActor(event.actor), JSON.stringify(event.data), event.prev, event.hash];
  return `${cells.map(csvCell).join(',')}\n`;
}

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

async function exportAudit(ctx: OperatorContext, options: { since?: string; format: string }): Promise<ExitCode> {
  const since = options.since === undefined ? undefined : parseSince(options.since, ctx.io.now());
  const csv = options.format === 'csv';
  if (csv) await ctx.io.out(`${CSV_COLUMNS.join(',')}\n`);
  let batch = '';
  for await (const event of ctx.app.core.operator.exportAudit(since)) {
    batch += csv ? csvLine(event) : `${JSON.stringify(event)}\n`;
    if (batch.length > 64_000) {
      await ctx.io.out(batch);
      batch = '';
    }
  }
  if (batch) await ctx.io.out(batch);
  return 0;
}

async function verifyAudit(ctx: OperatorContext): Promise<ExitCode> {
  const result = await ctx.app.core.operator.verifyAudit();
  if (result.ok) {
    await ctx.io.out(`ok: ${result.events} events, chain intact\n`);
    return 0;
  }
  await ctx.io.out(`broken: the first broken link is event ${result.brokenAt}: ${result.problem} (${result.events} events before it verified)\n`);
  return 1;
}

// ── formatting ────────────────────────────────────────────────────────────────

function idNumber(id: string): number {
  return Number(id.replace(/^JIT-/, ''));
}

function shortTime(iso: string): string {
  return iso.replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

/** Text from the store on one table line: control characters out, at most `max` characters. */
function oneLine(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const clean = text.replace(/[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\uFEFF]+/g, ' ').trim();
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}
