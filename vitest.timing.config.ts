// `npm run test:timing`: the test files that carry wall-clock figures (they import
// test/support/timing.ts), run with JITBOT_TIMING=1 so each figure is printed and held to its limit.
// `npm test` runs the same files without the limits; CI gates on `npm test` only.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

const root = import.meta.dirname;
const timed = readdirSync(path.join(root, 'test'), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.test.ts'))
  .map((file) => `test/${file.split(path.sep).join('/')}`)
  .filter((file) => /from '(?:\.\.?\/)+support\/timing\.js'/.test(readFileSync(path.join(root, file), 'utf8')));

export default defineConfig({
  ...base,
  test: { ...base.test, include: timed, env: { JITBOT_TIMING: '1' } },
});
