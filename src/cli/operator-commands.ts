import type { Command } from 'commander';
import { registerAuditExportCommand } from './operator/audit-export-command.js';
import { registerAuditPubkeyCommand } from './operator/audit-pubkey-command.js';
import { registerAuditVerifyCommand } from './operator/audit-verify-command.js';
import { registerGrantsCommand } from './operator/grants-command.js';
import { registerRequestsCommand } from './operator/requests-command.js';
import { registerRevokeCommand } from './operator/revoke-command.js';

/**
 * `jitbot grants | requests | revoke | audit export | audit verify | audit pubkey`: an operator's tools for the day
 * something goes wrong, one file each under operator/. They read the same environment and policy as
 * the server, talk to the same Redis (REDIS_URL; or the embedded redis-server a running jitbot
 * started; or one started for the command), run no workers and serve no HTTP. A revocation goes
 * through the same job path as a chat one, so a running jitbot worker carries it out, and it is
 * audited with the operator's OS user.
 */
export function registerOperatorCommands(program: Command, env: NodeJS.ProcessEnv): void {
  registerGrantsCommand(program, env);
  registerRequestsCommand(program, env);
  registerRevokeCommand(program, env);
  const audit = program.command('audit').description('export or verify the audit trail, or print the key its checkpoints verify with');
  registerAuditExportCommand(audit, env);
  registerAuditVerifyCommand(audit, env);
  registerAuditPubkeyCommand(audit, env);
}
