import type { Command } from 'commander';
import { runOperator, type ExitCode, type OperatorContext } from './run-operator.js';

/** `jitbot audit verify`: checks the audit trail's hash chain. */
export function registerAuditVerifyCommand(audit: Command, env: NodeJS.ProcessEnv): void {
  audit
    .command('verify')
    .description("check the audit trail's hash chain; names the first broken link")
    .action(() => runOperator(env, (ctx) => verifyAudit(ctx)));
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
