import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/store/redis/redis-server-process.js';
import { waitFor } from './wait-for.js';

/**
 * A MariaDB server of the test's own: `mariadb-install-db` into a temporary directory and `mariadbd`
 * on a free loopback port, `root` with an empty password over TCP. Never the machine's shared server
 * on 3306: a test may kill -9 it and start it again on the same port and data.
 */
export interface TestMariadb {
  readonly port: number;
  /** `mysql://root@127.0.0.1:<port>/` */
  readonly url: string;
  readonly pid: number | undefined;
  kill(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

function which(binary: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${binary} || ls /usr/sbin/${binary} 2>/dev/null`], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
  return found || undefined;
}

/** Why a MariaDB test cannot run here, or undefined when it can. */
export function mariadbUnavailable(): string | undefined {
  return which('mariadbd') && which('mariadb-install-db') ? undefined : 'the MariaDB server binaries (mariadbd, mariadb-install-db) are not installed: apt-get install mariadb-server';
}

export async function startMariadb(): Promise<TestMariadb> {
  const daemon = which('mariadbd');
  const installer = which('mariadb-install-db');
  if (!daemon || !installer) throw new Error(mariadbUnavailable());
  const dir = mkdtempSync(path.join(os.tmpdir(), 'jitbot-mariadb-'));
  const data = path.join(dir, 'data');
  // mariadbd will not run as root unless told which user to be; as root it runs as `mysql`.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(spawnSync('id', ['-u', 'mysql'], { encoding: 'utf8' }).stdout.trim());
    const gid = Number(spawnSync('id', ['-g', 'mysql'], { encoding: 'utf8' }).stdout.trim());
    if (Number.isInteger(uid) && Number.isInteger(gid)) chownSync(dir, uid, gid);
  }
  const userArgs = asRoot ? ['--user=mysql'] : [];
  const install = spawnSync(installer, [`--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...userArgs], { encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr || install.stdout}`);
  const port = await freePort();
  let child: ChildProcess | undefined;

  const launch = async () => {
    const args = [
      '--no-defaults',
      `--datadir=${data}`,
      `--port=${port}`,
      '--bind-address=127.0.0.1',
      `--socket=${path.join(dir, 'mariadb.sock')}`,
      `--pid-file=${path.join(dir, 'mariadb.pid')}`,
      '--skip-name-resolve',
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-buffer-pool-size=32M',
      ...userArgs,
    ];
    const started = spawn(daemon, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let output = '';
    started.stderr?.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    });
    child = started;
    await waitFor('MariaDB to start', () => output.includes('ready for connections') || started.exitCode !== null, 60_000, 20, () => output);
    if (started.exitCode !== null) throw new Error(`MariaDB exited at start: ${output}`);
  };

  const exited = async (signal: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const done = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill(signal);
    await done;
  };

  await launch();
  return {
    port,
    url: `mysql://root@127.0.0.1:${port}/`,
    get pid() {
      return child?.pid;
    },
    kill: () => exited('SIGKILL'),
    stop: () => exited('SIGTERM'),
    restart: launch,
    async destroy() {
      await exited('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
