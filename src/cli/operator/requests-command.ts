import type { Command } from 'commander';
import { REQUEST_STATUSES, type AccessRequest, type RequestStatus } from '../../core/domain/access-request.js';
import { formatDuration } from '../../core/domain/duration.js';
import { runOperator, type ExitCode, type OperatorContext } from './run-operator.js';
import { idNumber, oneLine, shortTime, table } from './text-table.js';

/** `jitbot requests [--state s,…] [--limit n] [--json]`: requests, newest first. */
export function registerRequestsCommand(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('requests')
    .description('list requests, newest first')
    .option('--state <states>', `only these states (comma-separated): ${REQUEST_STATUSES.join(', ')}`)
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON instead of a table')
    .action((options: { state?: string; limit: string; json?: boolean }) => runOperator(env, (ctx) => listRequests(ctx, options)));
}

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
