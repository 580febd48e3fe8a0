import type { Command } from 'commander';
import { runOperator, type ExitCode, type OperatorContext } from './run-operator.js';

/** `jitbot audit pubkey`: the public half of the checkpoint signing key, PEM, for `audit verify --pubkey` elsewhere. */
export function registerAuditPubkeyCommand(audit: Command, env: NodeJS.ProcessEnv): void {
  audit
    .command('pubkey')
    .description('print the public key (PEM) that verifies the signed audit checkpoints')
    .action(() => runOperator(env, (ctx) => printPubkey(ctx)));
}

async function printPubkey(ctx: OperatorContext): Promise<ExitCode> {
  const key = ctx.auditKey();
  ctx.io.err(`key ${key.signer.keyId}, from ${key.source}`);
  await ctx.io.out(key.signer.publicKey);
  return 0;
}
