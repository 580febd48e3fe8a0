import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** How to get a redis-server binary, for messages shown when none is found. */
export const REDIS_INSTALL_HINT = [
  'jitbot needs Redis. Either set REDIS_URL to a Redis 6.2+ server, or install the redis-server binary',
  'and jitbot will run its own (data under .jitbot/):',
  '  Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y redis-server',
  '  Fedora/RHEL:    sudo dnf install -y redis',
  '  macOS:          brew install redis',
].join('\n');

export function findRedisServer(): string | undefined {
  const result = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const found = result.stdout.trim();
  return result.status === 0 && found ? found : undefined;
}

export interface RedisServerOptions {
  /** Data directory (AOF and dump files). Created if missing. */
  dir: string;
  port?: number;
  /** AOF on (the default): data survives a restart of the server. */
  appendOnly?: boolean;
  appendFsync?: 'always' | 'everysec' | 'no';
  /**
   * Redis's background tick (default 100 here, 10 in Redis itself). BullMQ promotes a delayed job on
   * time only if Redis's timers fire on time: at hz 10 a revocation can start up to 100 ms late.
   */
  hz?: number;
}

/** A redis-server child process on loopback: the embedded default, and the tests' own servers. */
export class RedisServerProcess {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {}

  static async start(options: RedisServerOptions): Promise<RedisServerProcess> {
    const port = options.port ?? (await freePort());
    const server = new RedisServerProcess(port, options);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the server again on the same port and data directory (after `kill` or `stop`). */
  async launch(): Promise<void> {
    const binary = findRedisServer();
    if (!binary) throw new Error(REDIS_INSTALL_HINT);
    mkdirSync(this.options.dir, { recursive: true });
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', path.resolve(this.options.dir),
      '--appendonly', this.options.appendOnly === false ? 'no' : 'yes',
      '--appendfsync', this.options.appendFsync ?? 'everysec',
      '--save', '',
      '--maxmemory-policy', 'noeviction',
      '--hz', String(this.options.hz ?? 100),
      '--daemonize', 'no',
      '--protected-mode', 'yes',
      '--logfile', '',
    ];
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      if (output.length < 4000) output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (output.length < 4000) output += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server exited at start:\n${output}`);
      if (await canConnect(this.port)) {
        // The port accepts connections before the AOF is loaded; "Ready to accept" marks the end.
        if (/Ready to accept connections/.test(output)) return;
      }
      await sleep(20);
    }
    throw new Error(`redis-server did not start on port ${this.port} within 10 s:\n${output}`);
  }

  /** Clean shutdown (flushes the AOF). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(5000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  }

  /** kill -9: what a crash looks like. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGKILL');
    await exited;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
