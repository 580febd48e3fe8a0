// Entry point of the `jitbot` command: parses the command line and hands off to one command module.
import { Command } from 'commander';
import { registerCheckCommand } from './cli/check-command.js';
import { registerRunCommands } from './cli/run-command.js';
import { registerRequestCommand } from './cli/request-command.js';
import { registerOperatorCommands } from './cli/operator-commands.js';

const program = new Command('jitbot')
  .description('Just-in-time access to CI/CD from chat: request, approve, issue, revoke, audit.')
  .showHelpAfterError();

registerRunCommands(program);
registerCheckCommand(program);
registerRequestCommand(program);
registerOperatorCommands(program);

await program.parseAsync(process.argv);
