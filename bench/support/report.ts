import type { BenchConfig, ScenarioResult, Table } from './context.js';
import type { MachineInfo } from './machine.js';

export interface BenchReport {
  startedAt: string;
  finishedAt: string;
  seconds: number;
  command: string;
  mode: 'quick' | 'full' | 'profile';
  config: BenchConfig;
  machine: MachineInfo;
  scenarios: ScenarioResult[];
}

export function markdownTable(table: Table): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [`| ${table.headers.map(escape).join(' | ')} |`, `|${table.headers.map(() => '---').join('|')}|`, ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`)];
  return (table.caption ? `${table.caption}\n\n` : '') + lines.join('\n');
}

export function machineLines(machine: MachineInfo): string[] {
  const cpu = machine.cpu;
  return [
    `- CPU: ${machine.cpuModel}, ${machine.cores} cores; ${machine.memoryGiB} GiB RAM; ${machine.os}`,
    `- Node ${machine.node}; Redis ${machine.redis} (its own redis-server, AOF everysec, noeviction)`,
    `- Load average at start ${machine.loadAverageAtStart.join(' / ')}${machine.loadAverageAtEnd ? `, at end ${machine.loadAverageAtEnd.join(' / ')}` : ''}`,
    ...(cpu
      ? [`- CPU busy during the run: ${cpu.busyPercent} % of all cores; the benchmark's processes ${cpu.oursPercent} %, other processes ${cpu.othersPercent} %${cpu.othersPercent > 10 ? ' (**the machine was busy: figures are disturbed**)' : ''}`]
      : []),
  ];
}

/** The whole report as markdown: machine, command, then each scenario's tables, notes and targets. */
export function renderMarkdown(report: BenchReport): string {
  const out: string[] = [];
  out.push(`# jitbot benchmark (${report.mode}) — ${report.startedAt}`, '');
  out.push(...machineLines(report.machine));
  out.push(`- Command: \`${report.command}\`; ${report.config.runs} runs per figure, medians shown; revoke concurrency ${report.config.revokeConcurrency} per worker (jitbot's default 50, baselines alike); took ${Math.round(report.seconds)} s`, '');
  out.push('## Targets', '', markdownTable(targetTable(report.scenarios)), '');
  for (const scenario of report.scenarios) {
    out.push(`## ${scenario.title}`, '');
    if (scenario.status !== 'ok') out.push(`**${scenario.status}**: ${scenario.reason ?? ''}`, '');
    for (const table of scenario.tables) out.push(markdownTable(table), '');
    for (const note of scenario.notes) out.push(`- ${note}`);
    if (scenario.notes.length) out.push('');
  }
  return out.join('\n');
}

export function targetTable(scenarios: ScenarioResult[]): Table {
  const rows: string[][] = [];
  for (const scenario of scenarios) {
    if (scenario.status !== 'ok' && scenario.targets.length === 0) {
      rows.push([scenario.title, scenario.reason ?? '', scenario.status, '—']);
      continue;
    }
    for (const target of scenario.targets) {
      rows.push([target.target, target.measured, target.met === null ? 'not measured' : target.met ? 'met' : '**missed**', scenario.title]);
    }
  }
  return { headers: ['target', 'measured (median of runs)', 'verdict', 'section'], rows };
}
