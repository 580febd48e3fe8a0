// Used by `npm start` and `npm test`: on a fresh clone, install the npm dependencies first
// (`npm ci`, from package-lock.json) instead of failing on a missing module.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

export function ensureDependencies(root) {
  if (existsSync(path.join(root, 'node_modules', 'tsx', 'package.json')) && existsSync(path.join(root, 'node_modules', 'vitest', 'package.json'))) return;
  console.error('jitbot: node_modules is missing; running `npm ci` once to install the dependencies…');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error('jitbot: `npm ci` failed. Install the dependencies by hand with `npm ci` (Node.js 20.19 or newer), then run the command again.');
    process.exit(1);
  }
}
