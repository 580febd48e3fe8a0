import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/store/redis/redis-server-process.js';
import { waitFor } from './wait-for.js';

/**
 * A PostgreSQL server of the test's own: `initdb` into a temporary directory and `postgres` on a free
 * loopback port, trust auth, superuser `postgres`. Never the machine's shared server on 5432: a test
 * may kill -9 it, stop it for a while and start it again on the same port and data.
 */
export interface TestPostgres {
  readonly port: number;
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
  readonly url: string;
  urlFor(database: string, user?: string, password?: string): string;
  readonly pid: number | undefined;
  /** SIGKILL of the postmaster: open sessions break at once. */
  kill(): Promise<void>;
  /** Fast shutdown (SIGINT). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  restart(): Promise<void>;
  /** Stops it and deletes its data. */
  destroy(): Promise<void>;
}

/** Where the server binaries are: PATH first, then Debian's /usr/lib/postgresql/<version>/bin. */
export function findPostgresBin(): string | undefined {
  const onPath = spawnSync('sh', ['-c', 'command -v postgres'], { encoding: 'utf8' }).stdout.trim();
  if (onPath && existsSync(path.join(path.dirname(onPath), 'initdb'))) return path.dirname(onPath);
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = path.join(root, version, 'bin');
    if (existsSync(path.join(bin, 'postgres')) && existsSync(path.join(bin, 'initdb'))) return bin;
  }
  return undefined;
}

/** Why a PostgreSQL test cannot run here, or undefined when it can. */
export function postgresUnavailable(): string | undefined {
  return findPostgresBin() ? undefined : 'the PostgreSQL server binaries (initdb, postgres) are not installed: apt-get install postgresql';
}

/** PostgreSQL refuses to run as root; as root the server runs as the `postgres` system user. */
function runAs(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  const gid = id('-g');
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error('running as root and there is no `postgres` user to run PostgreSQL as');
  return { uid, gid };
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  if (!bin) throw new Error(postgresUnavailable());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jitbot-pg-'));
  const data = path.join(dir, 'data');
  const user = runAs();
  if (user) chownSync(dir, user.uid, user.gid);
  const init = spawnSync(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '--no-sync', '-E', 'UTF8', '--locale=C'], {
    encoding: 'utf8',
    ...(user ?? {}),
  });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launchOnce = async (): Promise<string | undefined> => {
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100'];
    const started = spawn(path.join(bin, 'postgres'), args, { stdio: ['ignore', 'ignore', 'pipe'], ...(user ?? {}) });
    let output = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child = started;
    await waitFor('PostgreSQL to start', () => output.includes('ready to accept connections') || started.exitCode !== null, 30_000, 20, () => output);
    return started.exitCode === null ? undefined : output;
  };
  // After a kill -9 the old backends leave within moments; until then the data directory's shared
  // memory is still in use and a new postmaster refuses to start, so starting is retried briefly.
  const launch = async () => {
    let failure: string | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      failure = await launchOnce();
      if (failure === undefined) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`PostgreSQL did not start: ${failure}`);
  };

  const exited = async (signal: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const done = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await done;
  };

  await launch();
  const urlFor = (database: string, name = 'postgres', password?: string) =>
    `postgresql://${encodeURIComponent(name)}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    port,
    url: urlFor('postgres'),
    urlFor,
    get pid() {
      return child?.pid;
    },
    kill: () => exited('SIGKILL'),
    stop: () => exited('SIGINT'),
    restart: launch,
    async destroy() {
      await exited('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
