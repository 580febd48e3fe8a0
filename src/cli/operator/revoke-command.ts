import os from 'node:os';
import type { Command } from 'commander';
import { FINAL, describeActor, parseRequestId, type AccessRequest, type Actor } from '../../core/domain/access-request.js';
import { formatDuration } from '../../core/domain/duration.js';
import { isJitError } from '../../core/domain/errors.js';
import { runOperator, type ExitCode, type OperatorContext } from './run-operator.js';
import { oneLine } from './text-table.js';

/** `jitbot revoke <id> [--reason …] [--wait [seconds]]`: ends a grant now, through the same job path as a chat revocation. */
export function registerRevokeCommand(program: Command, env: NodeJS.ProcessEnv): void {
  program
    .command('revoke')
    .description("end a grant now, as an operator (the revocation runs as a job on a jitbot worker; audited with your OS user)")
    .argument('<id>', 'the request id, e.g. JIT-42')
    .option('--reason <text...>', 'why (goes into the audit trail)')
    .option('--wait [seconds]', 'wait until a worker has revoked it (default 30 seconds)')
    .action((id: string, options: { reason?: string[]; wait?: string | boolean }) => runOperator(env, (ctx) => revokeGrant(ctx, id, options)));
}

/** The operator's identity for the audit trail; `loginName` (USER or LOGNAME) when the OS has no passwd entry. */
export function operatorActor(loginName: string | undefined): Actor {
  let osUser: string;
  try {
    osUser = os.userInfo().username;
  } catch {
    // No passwd entry (some containers): the environment is the best we have.
    osUser = loginName || `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return { kind: 'operator', osUser };
}

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
  const actor = operatorActor(ctx.environment.loginName);
  const who = describeActor(actor);
  const reason = (options.reason ?? []).join(' ');
  let after: AccessRequest;
  try {
    after = (await ctx.app.core.revoke(actor, id, reason)).request;
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
