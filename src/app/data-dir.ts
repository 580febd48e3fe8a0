import path from 'node:path';

/**
 * Where the console's logs go: a file under the data directory, because the console's terminal
 * belongs to the people typing in it, and pino's JSON lines between the cards are noise to them.
 */
export function consoleLogFile(dataDir: string): string {
  return path.resolve(dataDir, 'logs', 'jitbot.log');
}

/** The embedded redis-server's data directory (AOF and dump files) under the data directory. */
export function embeddedRedisDir(dataDir: string): string {
  return path.resolve(dataDir, 'redis');
}
