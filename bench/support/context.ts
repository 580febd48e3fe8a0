import type { Redis } from 'ioredis';
import type { RedisServerProcess } from '../../src/store/redis/redis-server-process.js';
import type { BenchChild } from './child-process.js';
import type { CpuAccount } from './machine.js';

/** Sizes and durations of every scenario; `--quick` shrinks them to fit in under two minutes. */
export interface BenchConfig {
  quick: boolean;
  runs: number;
  /** Revocations in flight per worker, for jitbot's in-process workers and the raw baselines alike (jitbot's default: 50). */
  revokeConcurrency: number;
  ack: { rates: number[]; seconds: number };
  approval: { count: number };
  revocation: { sizes: number[]; stream: number; windowMs: number; leadMs: number };
  simultaneous: { count: number };
  recovery: { count: number; outageMs: number };
  footprint: { fullPathGrants: number };
  /** `rawWindowMs`: the baseline's window (its rate has the window taken out, so it need not wait 10 s). */
  throughput: { lifecycles: number; inFlight: number; windowMs: number; rawWindowMs: number; runs?: number };
}

export const FULL: BenchConfig = {
  quick: false,
  runs: 3,
  revokeConcurrency: 50,
  ack: { rates: [50, 200, 500], seconds: 20 },
  approval: { count: 1000 },
  revocation: { sizes: [1000, 10_000, 100_000], stream: 300, windowMs: 5000, leadMs: 1000 },
  simultaneous: { count: 10_000 },
  recovery: { count: 5000, outageMs: 60_000 },
  footprint: { fullPathGrants: 1000 },
  throughput: { lifecycles: 1500, inFlight: 64, windowMs: 10_000, rawWindowMs: 1000 },
};

export const QUICK: BenchConfig = {
  quick: true,
  runs: 3,
  revokeConcurrency: 50,
  ack: { rates: [50, 200, 500], seconds: 1 },
  approval: { count: 150 },
  revocation: { sizes: [1000, 5000], stream: 60, windowMs: 1000, leadMs: 500 },
  simultaneous: { count: 1000 },
  recovery: { count: 1000, outageMs: 5000 },
  footprint: { fullPathGrants: 200 },
  // Every jitbot run waits out a 10 s window (the shortest a policy allows): one run in --quick.
  throughput: { lifecycles: 300, inFlight: 32, windowMs: 10_000, rawWindowMs: 1000, runs: 1 },
};

export interface BenchContext {
  config: BenchConfig;
  redis: RedisServerProcess;
  redisUrl: string;
  /** For probes (INFO, CONFIG, FLUSHALL); never used by the systems under test. */
  admin: Redis;
  /** Scratch directory: data dirs, policy file, child logs. */
  tmp: string;
  cpu: CpuAccount;
  /** The fake Slack Web API (its own process). */
  sink: { url: string; child: BenchChild };
  /** Whether `--cpu-prof` was given: profile instead of measuring. */
  profile: boolean;
  /** Where .cpuprofile files go. */
  outDir: string;
  log(message: string): void;
  /** A key prefix no other part of this run uses; its keys are deleted after the scenario unless retained. */
  prefix(label: string): string;
  /** Prefixes whose keys outlive the scenario that made them (recovery's data, during its outage). */
  retained: Set<string>;
  /** Deletes every key under a prefix (SCAN + UNLINK). */
  deletePrefix(prefix: string): Promise<void>;
  /** Shared between scenarios (the revocation scenario's footprint readings, the Slack availability…). */
  shared: Record<string, unknown>;
}

export interface Table {
  caption?: string;
  headers: string[];
  rows: string[][];
}

export interface TargetCheck {
  target: string;
  measured: string;
  /** null: not measured in this mode (e.g. 100k grants in --quick). */
  met: boolean | null;
}

export interface ScenarioResult {
  id: string;
  title: string;
  status: 'ok' | 'skipped' | 'failed';
  /** Why skipped or failed. */
  reason?: string;
  /** Short explanations printed under the tables. */
  notes: string[];
  tables: Table[];
  targets: TargetCheck[];
  /** Per-run figures and anything else worth keeping, for the JSON file. */
  raw: Record<string, unknown>;
  seconds: number;
}

export function emptyResult(id: string, title: string): ScenarioResult {
  return { id, title, status: 'ok', notes: [], tables: [], targets: [], raw: {}, seconds: 0 };
}

export type Scenario = (ctx: BenchContext, result: ScenarioResult) => Promise<void>;
