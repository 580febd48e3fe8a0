import type { Command } from 'commander';
import { checkpointVerifierFrom } from '../../app/audit-signing-key.js';
import type { CheckpointVerifier } from '../../core/ports/checkpoint-signer.js';
import { runOperator, type ExitCode, type OperatorContext } from './run-operator.js';

/** `jitbot audit verify [--pubkey <file|PEM>]`: checks the audit trail's hash chain and its signed checkpoints. */
export function registerAuditVerifyCommand(audit: Command, env: NodeJS.ProcessEnv): void {
  audit
    .command('verify')
    .description("check the audit trail's hash chain and every signed checkpoint; names the first event that does not match")
    .option('--pubkey <file|PEM>', 'check the signatures with this public key (as `jitbot audit pubkey` prints it) instead of the configured key')
    .action((options: { pubkey?: string }) => runOperator(env, (ctx) => verifyAudit(ctx, options)));
}

async function verifyAudit(ctx: OperatorContext, options: { pubkey?: string }): Promise<ExitCode> {
  let verifier: CheckpointVerifier;
  try {
    verifier = options.pubkey === undefined ? ctx.auditKey().verifier : checkpointVerifierFrom(options.pubkey);
  } catch (error) {
    ctx.io.err(`jitbot: ${options.pubkey === undefined ? '' : '--pubkey: '}${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
  const result = await ctx.app.core.operator.verifySignedAudit(verifier);
  if (result.ok) {
    const signed = result.checkpoints === 0 ? '' : `, ${result.checkpoints} signed checkpoint(s) match (key ${verifier.keyId})`;
    await ctx.io.out(`ok: ${result.events} events, chain intact${signed}\n`);
    return 0;
  }
  if (result.failedCheckpoint !== undefined) {
    await ctx.io.out(`broken: the first event that does not match is event ${result.brokenAt}: ${result.problem} (${result.checkpoints} checkpoint(s) before it verified)\n`);
    return 1;
  }
  await ctx.io.out(`broken: the first broken link is event ${result.brokenAt}: ${result.problem} (${result.events} events before it verified)\n`);
  return 1;
}
