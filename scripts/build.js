#!/usr/bin/env node
// `npm run build`: compiles src/ to dist/ (ESM, same layout), copies the files src/ reads at run time
// (the Lua scripts; anything not .ts), and writes dist/.build-stamp, the fingerprint of src/ taken
// BEFORE compiling, so an edit made while tsc runs leaves the build stale rather than trusted.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { STAMP_FILE, sourceStamp } from '../bin/source-stamp.js';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const src = path.join(root, 'src');
const dist = path.join(root, process.argv[2] ?? 'dist');

const stamp = sourceStamp(src);
if (!stamp) {
  console.error('build: no src/ to compile');
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', dist], { stdio: 'inherit' });
if (result.status !== 0) {
  rmSync(dist, { recursive: true, force: true });
  process.exit(result.status ?? 1);
}
copyAssets(src, dist);
writeFileSync(path.join(dist, STAMP_FILE), `${stamp}\n`);
console.log(`build: ${path.relative(root, dist) || dist} written`);

function copyAssets(from, to) {
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) copyAssets(source, path.join(to, entry.name));
    else if (entry.isFile() && !entry.name.endsWith('.ts')) {
      mkdirSync(to, { recursive: true });
      cpSync(source, path.join(to, entry.name));
    }
  }
}
