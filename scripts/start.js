#!/usr/bin/env node
// `npm start`: installs the npm dependencies on a fresh clone, then runs `jitbot start` in the same
// terminal, passing Ctrl-C and SIGTERM on so that it stops cleanly.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { ensureDependencies } from './ensure-deps.js';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
ensureDependencies(root);
const child = spawn(process.execPath, [path.join(root, 'bin', 'jitbot.js'), 'start', ...process.argv.slice(2)], { stdio: 'inherit' });
// The terminal sends Ctrl-C to both of us; jitbot handles it. Forward a SIGTERM sent to npm alone.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
