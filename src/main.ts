// Entry point of the `jitbot` command: parses the command line and hands off to one command module.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerCheckCommand } from './cli/check-command.js';
import { registerInitCommand } from './cli/init-command.js';
import { registerRunCommands } from './cli/run-command.js';
import { registerRequestCommand } from './cli/request-command.js';
import { registerOperatorCommands } from './cli/operator-commands.js';

// Read at run time, not imported: package.json sits outside src/ and is the one place the version lives.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command('jitbot')
  .description('Just-in-time access to CI/CD from chat: request, approve, issue, revoke, audit.')
  .version(version, '-V, --version', 'print the version of jitbot');

// The one place the process environment is read: every command hands it to src/config/ to parse.
const env = process.env;
registerRunCommands(program, env);
registerInitCommand(program);
registerCheckCommand(program, env);
registerRequestCommand(program, env);
registerOperatorCommands(program, env);
showUsageAfterErrors(program, ['jitbot']);

await program.parseAsync(process.argv);

/**
 * A usage error prints the error, then the one usage line of the command that was mistyped and where
 * its help is: the whole help (a screenful for `jitbot`) buries the error it follows.
 */
function showUsageAfterErrors(command: Command, names: string[]): void {
  const name = names.join(' ');
  command.showHelpAfterError(`Usage: ${name} ${command.usage()}\nRun \`${name} --help\` for ${command.commands.length > 0 ? 'its commands' : 'its options'}.`);
  for (const sub of command.commands) showUsageAfterErrors(sub, [...names, sub.name()]);
}
