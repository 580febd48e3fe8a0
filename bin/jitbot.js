#!/usr/bin/env node
// The `jitbot` command. It runs the compiled dist/main.js (`npm run build`) when dist/ was built from
// the src/ on disk, and otherwise the TypeScript in src/ through tsx's loader, so `npx jitbot` works
// right after `npm ci` with no build step and an edited source is never shadowed by an older build.
// See bin/source-stamp.js for what "built from" means. JITBOT_DEBUG_ENTRY=1 names the entry on stderr.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { STAMP_FILE, sourceStamp } from './source-stamp.js';

const root = new URL('../', import.meta.url);
const debug = process.env.JITBOT_DEBUG_ENTRY === '1';

function builtStamp() {
  try {
    return readFileSync(new URL(`dist/${STAMP_FILE}`, root), 'utf8').trim();
  } catch {
    return undefined;
  }
}

const built = builtStamp();
// No src/ at all (a package shipped with dist/ only) also means the build is what there is to run.
const current = built === undefined ? undefined : sourceStamp(fileURLToPath(new URL('src', root)));
if (built !== undefined && (current === undefined || current === built)) {
  if (debug) console.error('jitbot entry: dist');
  // Stack traces in logs then name src/*.ts lines, as under tsx (about 20 ms more at start).
  process.setSourceMapsEnabled(true);
  await import('../dist/main.js');
} else {
  if (debug) console.error(`jitbot entry: src (${built === undefined ? 'no build' : 'build older than src'})`);
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
