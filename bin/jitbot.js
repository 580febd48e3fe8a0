#!/usr/bin/env node
// The `jitbot` command. The sources are TypeScript run through tsx's loader, so `npx jitbot`
// works right after `npm ci` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
