#!/usr/bin/env node
// `npm test`: checks that a redis-server binary is at hand (the tests start their own), runs the
// whole vitest suite, and ends with one plain "N passed, N failed" line that any CI can read.
import { spawnSync } from 'node:child_process';
import { readFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ensureDependencies } from './ensure-deps.js';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
ensureDependencies(root);
const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
if (which.status !== 0) {
  console.error(
    [
      'jitbot tests need the redis-server binary (Redis 6.2 or newer); none is on PATH.',
      'Install it with your OS package manager, for example:',
      '  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y redis-server',
      '  Fedora/RHEL:    sudo dnf install -y redis',
      '  macOS:          brew install redis',
      'then run `npm test` again. (The tests start and stop their own redis-server processes;',
      'no Redis service needs to be running.)',
    ].join('\n'),
  );
  process.exit(1);
}

const outDir = path.join(root, '.jitbot');
mkdirSync(outDir, { recursive: true });
const resultsFile = path.join(outDir, 'test-results.json');
if (existsSync(resultsFile)) rmSync(resultsFile);

const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
const run = spawnSync(
  process.execPath,
  [vitest, 'run', '--reporter=default', '--reporter=./test/support/skip-reporter.ts', '--reporter=json', `--outputFile.json=${resultsFile}`, ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: root },
);

if (existsSync(resultsFile)) {
  const results = JSON.parse(readFileSync(resultsFile, 'utf8'));
  const skipped = results.numPendingTests + results.numTodoTests;
  console.log(`\n${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
}
process.exit(run.status ?? 1);
