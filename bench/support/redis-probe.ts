import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';
import { sleep } from './stats.js';

/** `INFO <section>` as a map of fields. */
export async function info(redis: Redis, section: string): Promise<Map<string, string>> {
  const text = await redis.info(section);
  const fields = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields.set(line.slice(0, at), line.slice(at + 1));
  }
  return fields;
}

/** `used_memory` in bytes, after letting lazy frees settle. */
export async function usedMemory(redis: Redis): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const memory = await info(redis, 'memory');
    if (Number(memory.get('lazyfree_pending_objects') ?? 0) === 0) return Number(memory.get('used_memory'));
    await sleep(100);
  }
  return Number((await info(redis, 'memory')).get('used_memory'));
}

export interface CommandStat {
  calls: number;
  usec: number;
}

/** Starts a fresh count of commands (INFO commandstats) and an empty SLOWLOG. */
export async function resetCommandStats(redis: Redis): Promise<void> {
  await redis.config('RESETSTAT');
  await redis.slowlog('RESET');
}

/** Calls and time per command since the last reset (the benchmark's own probes included, which are few). */
export async function commandStats(redis: Redis): Promise<Record<string, CommandStat>> {
  const stats: Record<string, CommandStat> = {};
  for (const [key, value] of await info(redis, 'commandstats')) {
    const name = key.replace(/^cmdstat_/, '');
    const calls = Number(value.match(/calls=(\d+)/)?.[1] ?? 0);
    const usec = Number(value.match(/usec=(\d+)/)?.[1] ?? 0);
    stats[name] = { calls, usec };
  }
  return stats;
}

export interface SlowEntry {
  usec: number;
  command: string;
}

/** The SLOWLOG entries since the last reset, slowest first (arguments cut short). */
export async function slowlog(redis: Redis, count = 10): Promise<SlowEntry[]> {
  const entries = (await redis.slowlog('GET', count)) as unknown[][];
  const names = await knownScripts();
  return entries.map((entry) => ({ usec: Number(entry[2]), command: describeCommand(((entry[3] as unknown[]) ?? []).map(String), names) })).sort((a, b) => b.usec - a.usec);
}

/** A SLOWLOG command line, with a script's SHA replaced by its name. */
function describeCommand(args: string[], names: Map<string, string>): string {
  if ((args[0] ?? '').toLowerCase() === 'evalsha') {
    const name = names.get(args[1] ?? '') ?? `script ${String(args[1]).slice(0, 8)}`;
    return `EVALSHA [${name}] ${args.slice(3, 4).join(' ').slice(0, 60)}`;
  }
  return args.slice(0, 3).map((a) => a.slice(0, 60)).join(' ');
}

/** The busiest commands: calls and server time per unit of work (per revoke, per approval…). */
export function perUnit(stats: Record<string, CommandStat>, units: number, top = 12): { command: string; callsPerUnit: number; usecPerUnit: number; totalMs: number }[] {
  return Object.entries(stats)
    .filter(([name]) => !['info', 'config', 'slowlog', 'ping', 'client'].includes(name))
    .map(([command, s]) => ({ command, callsPerUnit: s.calls / Math.max(1, units), usecPerUnit: s.usec / Math.max(1, units), totalMs: s.usec / 1000 }))
    .sort((a, b) => b.usecPerUnit - a.usecPerUnit)
    .slice(0, top);
}

/** Counts keys under a prefix (SCAN; for reports, not hot paths). */
export async function countKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let count = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
    cursor = next;
    count += keys.length;
  } while (cursor !== '0');
  return count;
}

export interface ScriptTime {
  script: string;
  callsPerUnit: number;
  usecPerUnit: number;
  totalMs: number;
}

/** Redis' own CPU time so far (user + system, main and background threads), in µs. */
export async function redisCpuMicros(redis: Redis): Promise<number> {
  const cpu = await info(redis, 'cpu');
  return (Number(cpu.get('used_cpu_user') ?? 0) + Number(cpu.get('used_cpu_sys') ?? 0)) * 1e6;
}

let windowStart: { cpu: number; at: number } | undefined;

export interface RedisWindow {
  /** Redis CPU time per unit of work (INFO cpu), and the share of the window Redis was busy. */
  cpuMicrosPerUnit: number;
  busyShare: number;
  /** INFO commandstats per unit of work (scripts' inner commands are counted too, inside evalsha). */
  commands: ReturnType<typeof perUnit>;
  /** With --cpu-prof only: server time per Lua script (SLOWLOG at threshold 0, EVALSHA by SHA → name). */
  scripts?: ScriptTime[];
  /** The slowest commands (≥ 10 ms) in the window. */
  slow: SlowEntry[];
}

let scriptNames: Map<string, string> | undefined;

/** SHA1 → name of every Lua script BullMQ and jitbot's store load (ioredis defines them by content). */
async function knownScripts(): Promise<Map<string, string>> {
  if (scriptNames) return scriptNames;
  const names = new Map<string, string>();
  const bullmq = (await import('bullmq/dist/esm/scripts/index.js')) as Record<string, { name?: string; content?: string }>;
  for (const script of Object.values(bullmq)) {
    if (script && typeof script.content === 'string' && script.name) names.set(createHash('sha1').update(script.content).digest('hex'), `bullmq ${script.name}`);
  }
  const commit = readFileSync(new URL('../../src/store/redis/lua/commit.lua', import.meta.url), 'utf8');
  names.set(createHash('sha1').update(commit).digest('hex'), 'jitbot commit.lua (record + audit hash chain)');
  scriptNames = names;
  return names;
}

/** Starts a measured window: fresh command counts and SLOWLOG; with `everything`, every command is logged. */
export async function beginRedisWindow(redis: Redis, everything: boolean): Promise<void> {
  await resetCommandStats(redis);
  windowStart = { cpu: await redisCpuMicros(redis), at: performance.now() };
  if (everything) {
    await redis.config('SET', 'slowlog-max-len', '500000');
    await redis.config('SET', 'slowlog-log-slower-than', '0');
    await redis.slowlog('RESET');
  }
}

/** Ends a measured window: per-unit command counts, and (after `everything`) time per Lua script. */
export async function endRedisWindow(redis: Redis, units: number, everything: boolean): Promise<RedisWindow> {
  const cpuUsed = (await redisCpuMicros(redis)) - (windowStart?.cpu ?? 0);
  const elapsedMicros = (performance.now() - (windowStart?.at ?? performance.now())) * 1000;
  const cpu = { cpuMicrosPerUnit: cpuUsed / Math.max(1, units), busyShare: elapsedMicros > 0 ? cpuUsed / elapsedMicros : Number.NaN };
  const commands = perUnit(await commandStats(redis), units);
  if (!everything) return { ...cpu, commands, slow: (await slowlog(redis, 20)).filter((s) => s.usec >= 10_000) };
  await redis.config('SET', 'slowlog-log-slower-than', '10000');
  const entries = (await redis.slowlog('GET', -1)) as unknown[][];
  await redis.config('SET', 'slowlog-max-len', '256');
  await redis.slowlog('RESET');
  const names = await knownScripts();
  const byScript = new Map<string, { calls: number; usec: number }>();
  const slow: SlowEntry[] = [];
  for (const entry of entries) {
    const usec = Number(entry[2]);
    const args = ((entry[3] as unknown[]) ?? []).map(String);
    if (usec >= 10_000) slow.push({ usec, command: describeCommand(args, names) });
    if ((args[0] ?? '').toLowerCase() !== 'evalsha') continue;
    const name = names.get(args[1] ?? '') ?? `script ${String(args[1]).slice(0, 8)}`;
    const acc = byScript.get(name) ?? { calls: 0, usec: 0 };
    acc.calls++;
    acc.usec += usec;
    byScript.set(name, acc);
  }
  const scripts = [...byScript.entries()]
    .map(([script, s]) => ({ script, callsPerUnit: s.calls / Math.max(1, units), usecPerUnit: s.usec / Math.max(1, units), totalMs: s.usec / 1000 }))
    .sort((a, b) => b.usecPerUnit - a.usecPerUnit)
    .slice(0, 15);
  return { ...cpu, commands, scripts, slow: slow.sort((a, b) => b.usec - a.usec).slice(0, 10) };
}

/** The tables for a window: commands per unit, scripts per unit (profiling), and slow commands. */
export function redisWindowTables(window: RedisWindow, unit: string, caption: string): { caption: string; headers: string[]; rows: string[][] }[] {
  const tables = [
    {
      caption: `${caption}: Redis CPU ${Math.round(window.cpuMicrosPerUnit)} µs per ${unit} (INFO cpu; Redis busy ${Math.round(window.busyShare * 100)} % of the window). Commands per ${unit} (INFO commandstats; Lua scripts' inner commands counted too)`,
      headers: ['command', `calls per ${unit}`, `µs per ${unit}`, 'total ms'],
      rows: window.commands.map((c) => [c.command, c.callsPerUnit.toFixed(2), c.usecPerUnit.toFixed(1), c.totalMs.toFixed(0)]),
    },
  ];
  if (window.scripts?.length) {
    tables.push({
      caption: `${caption}: server time per Lua script per ${unit} (SLOWLOG at threshold 0)`,
      headers: ['script', `calls per ${unit}`, `µs per ${unit}`, 'total ms'],
      rows: window.scripts.map((s) => [s.script, s.callsPerUnit.toFixed(2), s.usecPerUnit.toFixed(1), s.totalMs.toFixed(0)]),
    });
  }
  if (window.slow.length) {
    tables.push({ caption: `${caption}: SLOWLOG entries ≥ 10 ms`, headers: ['µs', 'command'], rows: window.slow.slice(0, 8).map((s) => [String(s.usec), s.command]) });
  }
  return tables;
}
