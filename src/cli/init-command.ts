import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { DEMO_POLICY_YAML } from '../app/demo-policy.js';
import { DEFAULT_POLICY_PATH } from '../config/environment.js';

/** `jitbot init [file] [--force]`: writes the built-in demo policy to start a policy of one's own from. */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description(`write the built-in demo policy to ${DEFAULT_POLICY_PATH} (or the file named), to edit into your own`)
    .argument('[file]', 'where to write it', DEFAULT_POLICY_PATH)
    .option('--force', 'overwrite the file if it exists')
    .action((file: string, options: { force?: boolean }) => {
      process.exitCode = runInit(file, options.force === true, (line) => void process.stdout.write(`${line}\n`), (line) => void process.stderr.write(`${line}\n`));
    });
}

/** Returns the exit code: 0 written, 1 refused (the file exists) or failed. */
export function runInit(file: string, force: boolean, out: (line: string) => void, err: (line: string) => void): number {
  if (existsSync(file) && !force) {
    err(`jitbot init: ${file} exists; not overwriting it (use --force to replace it with the demo policy).`);
    return 1;
  }
  try {
    // `wx` unless forced: a file created meanwhile is still not overwritten.
    writeFileSync(file, DEMO_POLICY_YAML, { flag: force ? 'w' : 'wx' });
  } catch (error) {
    err(`jitbot init: cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return 1;
  }
  out(`wrote the demo policy to ${file}.`);
  out(`Edit it (people, groups, issuers, resources), then check it: jitbot check ${file}`);
  const isDefault = path.resolve(file) === path.resolve(DEFAULT_POLICY_PATH);
  out(isDefault ? 'jitbot start and jitbot console read it from there.' : `Point jitbot at it: JITBOT_POLICY=${file}`);
  return 0;
}
