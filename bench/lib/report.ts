import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { GoalRow, ScenarioResult } from './context.js';

export const BENCH_DIR = fileURLToPath(new URL('..', import.meta.url));
export const RESULTS_DIR = path.join(BENCH_DIR, 'results');
export const README = path.join(BENCH_DIR, 'README.md');
const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

export interface RunReport {
  date: string;
  startedAt: string;
  mode: 'quick' | 'full' | 'partial';
  wallSeconds: number;
  argv: string[];
  machine: { cpus: number; cpuModel: string; memGiB: number; node: string; loadavgStart: number[]; loadavgEnd: number[] };
  config: { reps: number; partSizeMiB: number; dbPoolMax: number; connections: number };
  scenarios: ScenarioResult[];
}

const fmt = (x: number, unit?: string) => {
  if (!Number.isFinite(x)) return '–';
  if (unit === 'MiB') return x.toFixed(1);
  if (unit && unit.startsWith('errors')) return String(Math.round(x));
  return x.toFixed(2);
};

const verdict = (r: GoalRow) => (r.pass === null ? (Number.isFinite(r.value.median) ? 'report' : 'n/a') : r.pass ? '✅ met' : '❌ missed');

export function markdownTable(report: RunReport): string {
  const lines = [
    '| Scenario | Measured as | Goal | Median | Min | Max | Result | Absolute numbers (medians) |',
    '| --- | --- | --- | ---: | ---: | ---: | --- | --- |',
  ];
  for (const s of report.scenarios) {
    for (const r of s.rows) {
      const cells = [r.scenario, r.measure, r.goal, fmt(r.value.median, r.unit), fmt(r.value.min, r.unit), fmt(r.value.max, r.unit), verdict(r), r.note ?? ''];
      lines.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

export function markdownHeader(report: RunReport): string {
  const m = report.machine;
  const misses = report.scenarios.flatMap((s) => s.rows).filter((r) => r.pass === false).length;
  return [
    `**${report.date}**, \`npm run bench${report.mode === 'quick' ? ' -- --quick' : report.mode === 'partial' ? ` -- ${report.argv.join(' ')}` : ''}\` ` +
      `(${report.mode}), wall time ${Math.floor(report.wallSeconds / 60)} min ${Math.round(report.wallSeconds % 60)} s, ` +
      `${misses === 0 ? 'every goal met' : `${misses} goal${misses > 1 ? 's' : ''} missed`}.`,
    `Machine: ${m.cpus} × ${m.cpuModel}, ${m.memGiB} GiB, Node ${m.node}; load average ${m.loadavgStart.join(' / ')} at the start, ` +
      `${m.loadavgEnd.join(' / ')} at the end (the machine is shared: other test suites may have been running). ` +
      `${report.config.reps} repetitions per measurement, part size ${report.config.partSizeMiB} MiB, DB pool ${report.config.dbPoolMax}, ` +
      `${report.config.connections} connections for the reads.`,
    `Per-scenario wall time: ${report.scenarios.map((s) => `${s.name} ${Math.round(s.seconds)} s`).join(', ')}.`,
  ].join('\n');
}

/** Writes results/<name>.json and .md; refreshes the README table when `readme` is set. */
export function writeReport(report: RunReport, name: string, readme: boolean): { json: string; md: string } {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const json = path.join(RESULTS_DIR, `${name}.json`);
  const md = path.join(RESULTS_DIR, `${name}.md`);
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  const body = `${markdownHeader(report)}\n\n${markdownTable(report)}\n`;
  writeFileSync(md, `# EN-Akte benchmark ${report.date} (${report.mode})\n\n${body}`);
  if (readme) {
    const block = `${START}\n${body}\nFull data: [results/${name}.json](results/${name}.json).\n${END}`;
    const text = existsSync(README) ? readFileSync(README, 'utf8') : '# EN-Akte benchmarks\n';
    const from = text.indexOf(START);
    const to = text.indexOf(END);
    writeFileSync(README, from >= 0 && to > from ? text.slice(0, from) + block + text.slice(to + END.length) : `${text}\n${block}\n`);
  }
  return { json, md };
}
