// The fingerprint that says whether dist/ was compiled from the src/ on disk. bin/jitbot.js runs the
// compiled dist/main.js only when dist/.build-stamp holds the fingerprint of the current src/, so a
// developer (or the e2e tests, which spawn bin/jitbot.js) never runs compiled code older than the source.
// It hashes every file's path, size and mtime under src/: one stat per file (~200, a few ms), no
// reads, no git. Editing, adding, removing or renaming a file changes it; a checkout changes mtimes.
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const STAMP_FILE = '.build-stamp';

/** The fingerprint of the tree under `dir`, or undefined when `dir` does not exist. */
export function sourceStamp(dir) {
  let entries;
  try {
    entries = listFiles(dir);
  } catch (error) {
    if (error && error.code === 'ENOENT') return undefined;
    throw error;
  }
  const hash = createHash('sha256');
  for (const file of entries.sort()) {
    const stat = statSync(path.join(dir, file));
    hash.update(`${file}\0${stat.size}\0${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

function listFiles(dir, prefix = '') {
  const files = [];
  for (const entry of readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...listFiles(dir, relative));
    else if (entry.isFile()) files.push(relative);
  }
  return files;
}
