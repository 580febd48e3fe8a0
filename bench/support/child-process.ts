import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CpuAccount } from './machine.js';
import { processMemory, } from './machine.js';
import { pollUntil, sleep } from './stats.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// jitbot's own variables are never inherited from the shell that runs the benchmark.
const JITBOT_VARIABLE = /^(JITBOT_|SLACK_|TEAMS_|REDIS_URL$|PORT$|HOST$|LOG_LEVEL$|NODE_OPTIONS$)/;

export interface ChildOptions {
  name: string;
  /** Arguments after `node`. */
  args: string[];
  env: Record<string, string>;
  /** stdout and stderr go to this file (never through this process, which measures). */
  logFile: string;
  cpu: CpuAccount;
}

const live = new Set<ChildProcess>();

/** Kills every child still running (the benchmark's exit handler: none may outlive it, even after a crash). */
export function killAllChildren(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
}

/** A node child process of the benchmark: a jitbot, the bare Bolt baseline, the Slack sink, a raw worker. */
export class BenchChild {
  private exited = false;
  private exitCode: number | null = null;

  private constructor(
    readonly name: string,
    readonly process: ChildProcess,
    readonly logFile: string,
    private readonly cpu: CpuAccount,
  ) {
    live.add(process);
    process.on('exit', (code) => {
      this.exited = true;
      this.exitCode = code;
      live.delete(process);
    });
  }

  static start(options: ChildOptions): BenchChild {
    const env: NodeJS.ProcessEnv = {};
    for (const [key, value] of Object.entries(process.env)) if (!JITBOT_VARIABLE.test(key)) env[key] = value;
    Object.assign(env, options.env);
    const fd = openSync(options.logFile, 'a');
    const child = spawn(process.execPath, options.args, { cwd: REPO_ROOT, env, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    options.cpu.track(child.pid);
    return new BenchChild(options.name, child, options.logFile, options.cpu);
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  get running(): boolean {
    return !this.exited;
  }

  output(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** The last lines of its output, for error messages. */
  tail(lines = 15): string {
    return this.output().trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Waits for a line matching `pattern` in its output; throws (with the output's tail) on exit or timeout. */
  async waitForOutput(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const ok = await pollUntil(() => pattern.test(this.output()) || this.exited, timeoutMs, 50);
    if (!ok || !pattern.test(this.output())) {
      throw new Error(`${this.name}: ${this.exited ? `exited (code ${this.exitCode})` : `no ${pattern} within ${timeoutMs} ms`}:\n${this.tail()}`);
    }
  }

  /** Waits until GET <url> answers with any HTTP status. */
  async waitForHttp(url: string, timeoutMs = 30_000, expectStatus?: number): Promise<void> {
    const ok = await pollUntil(
      async () => {
        if (this.exited) return true;
        const status = await httpStatus(url);
        return expectStatus === undefined ? status > 0 : status === expectStatus;
      },
      timeoutMs,
      100,
    );
    if (!ok || this.exited) throw new Error(`${this.name}: ${this.exited ? `exited (code ${this.exitCode})` : `${url} not ready within ${timeoutMs} ms`}:\n${this.tail()}`);
  }

  memory(): { rss: number; peak: number } {
    return processMemory(this.pid);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; its CPU time is charged to the benchmark first. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.exited) return;
    this.cpu.charge(this.pid);
    const exited = new Promise<void>((resolve) => this.process.once('exit', () => resolve()));
    this.process.kill('SIGTERM');
    await Promise.race([exited, sleep(graceMs)]);
    if (!this.exited) {
      this.process.kill('SIGKILL');
      await exited;
    }
  }
}

/** The HTTP status of GET url, or 0 when nothing answers. */
export function httpStatus(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** `node bin/run-ts.js <file>` arguments for one of the benchmark's own scripts. */
export function runTsArgs(file: string, nodeArgs: string[] = []): string[] {
  return [...nodeArgs, path.join(REPO_ROOT, 'bin', 'run-ts.js'), path.join(REPO_ROOT, file)];
}

/** `node bin/jitbot.js <command>` arguments. */
export function jitbotArgs(command: string, nodeArgs: string[] = []): string[] {
  return [...nodeArgs, path.join(REPO_ROOT, 'bin', 'jitbot.js'), command];
}
