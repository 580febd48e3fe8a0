import type { Command } from 'commander';
import { type AccessRequest, type RequestStatus } from '../../core/domain/access-request.js';
import { formatDuration } from '../../core/domain/duration.js';
import { issuerNamed, resourceNamed } from '../../core/policy/policy-lookup.js';
import type { Policy } from '../../core/policy/policy-schema.js';
import { runOperator, type ExitCode, type OperatorContext } from './run-operator.js';
import { idNumber, shortTime, table } from './text-table.js';

/** `jitbot grants [--json]`: the grants that hold access now. */
export function registerGrantsCommand(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('grants')
    .description('list the grants that hold access now: id, requester, resource, state, issuer, end, time left')
    .option('--json', 'print JSON instead of a table')
    .action((options: { json?: boolean }) => runOperator(env, (ctx) => listGrants(ctx, options.json === true)));
}

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
