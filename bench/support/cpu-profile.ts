import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time by area: a package under node_modules, a folder of src/, node internals, GC, idle. */
  byArea: { area: string; ms: number; percent: number }[];
  /** The functions with the most self time. */
  topFunctions: { fn: string; ms: number; percent: number }[];
}

/** Samples this process's CPU while `body` runs and writes a .cpuprofile (open it in Chrome DevTools). */
export async function profileInProcess<T>(file: string, body: () => Promise<T>): Promise<{ value: T; summary: ProfileSummary }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  let value: T;
  try {
    value = await body();
  } finally {
    const { profile } = (await session.post('Profiler.stop')) as { profile: CpuProfile };
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
  return { value, summary: summarizeProfile(file) };
}

function areaOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return '(garbage collector)';
  if (functionName === '(idle)') return '(idle)';
  if (functionName === '(program)') return '(program)';
  if (!url) return '(native / internal)';
  if (url.startsWith('node:')) return 'node: internals';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.indexOf('/src/');
  if (src >= 0) return `src/${url.slice(src + 5).split('/').slice(0, -1).join('/')}`;
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return 'bench (the load generator itself)';
  return path.basename(url);
}

/** Self time per area and per function of a .cpuprofile. */
export function summarizeProfile(file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const totalHits = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0) || 1;
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const msPerHit = totalMs / totalHits;
  const areas = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (!hits) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const area = areaOf(url, functionName);
    areas.set(area, (areas.get(area) ?? 0) + hits);
    const where = url ? `${url.replace(/^.*\/(node_modules|src|bench)\//, '$1/')}:${lineNumber + 1}` : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    functions.set(key, (functions.get(key) ?? 0) + hits);
  }
  const rank = (map: Map<string, number>, limit: number) =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, hits]) => ({ name, ms: Math.round(hits * msPerHit), percent: Math.round((hits / totalHits) * 1000) / 10 }));
  return {
    file,
    totalMs: Math.round(totalMs),
    byArea: rank(areas, 14).map(({ name, ms, percent }) => ({ area: name, ms, percent })),
    topFunctions: rank(functions, 20).map(({ name, ms, percent }) => ({ fn: name, ms, percent })),
  };
}
