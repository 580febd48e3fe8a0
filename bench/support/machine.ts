import { readFileSync } from 'node:fs';
import os from 'node:os';

/** What the figures were measured on, read at run time. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  redis: string;
  loadAverageAtStart: number[];
  loadAverageAtEnd?: number[];
  /** Share of all CPU time (every core) that was busy during the run, and how much of it was not ours. */
  cpu?: { busyPercent: number; othersPercent: number; oursPercent: number };
}

export function describeMachine(redisVersion: string): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux: os.cpus() is good enough
  }
  return {
    cpuModel,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    redis: redisVersion,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** Whole-machine CPU ticks (busy, total) from /proc/stat; undefined off Linux. */
function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
    const total = cpu.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** CPU ticks (user + system) a process has used so far, from /proc/<pid>/stat. */
export function processTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Resident set size and its peak (VmHWM) of a process, in bytes. */
export function processMemory(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1] ?? Number.NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: Number.NaN, peak: Number.NaN };
  }
}

/**
 * Tells how busy the machine was while the benchmark ran: total busy CPU, and how much of it came from
 * processes other than the benchmark's own (this process, its children and its redis-server). Child
 * processes report their ticks just before they stop ({@link CpuAccount.charge}).
 */
export class CpuAccount {
  private readonly start = machineTicks();
  private readonly selfStart = process.cpuUsage();
  private charged = 0;
  private readonly live = new Map<number, number>();

  /** Starts counting a child process (its ticks so far are not ours to count). */
  track(pid: number | undefined): void {
    if (pid) this.live.set(pid, processTicks(pid));
  }

  /** Adds what a tracked child used; call before it exits. */
  charge(pid: number | undefined): void {
    if (!pid || !this.live.has(pid)) return;
    this.charged += Math.max(0, processTicks(pid) - this.live.get(pid)!);
    this.live.delete(pid);
  }

  finish(): MachineInfo['cpu'] {
    const end = machineTicks();
    if (!this.start || !end) return undefined;
    for (const pid of [...this.live.keys()]) this.charge(pid);
    const self = process.cpuUsage(this.selfStart);
    const ours = this.charged + ((self.user + self.system) / 1e6) * TICKS_PER_SECOND;
    const total = end.total - this.start.total;
    const busy = end.busy - this.start.busy;
    const pct = (x: number) => Math.round((x / Math.max(1, total)) * 1000) / 10;
    return { busyPercent: pct(busy), oursPercent: pct(Math.min(busy, ours)), othersPercent: pct(Math.max(0, busy - ours)) };
  }
}
