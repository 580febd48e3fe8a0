import type { Command } from 'commander';

/** `jitbot check [policy] [--explain <person> <resource>]`. */
export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .argument('[policy]', 'policy file (default: $JITBOT_POLICY or ./jitbot.yaml)')
    .option('--explain <person_and_resource...>', 'explain what a person may do with a resource')
    .description('validate a policy file and print every problem with its place')
    .action(() => {
      console.error('not implemented yet');
      process.exitCode = 1;
    });
}
