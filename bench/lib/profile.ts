// Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by package, so a missed
// goal can be traced to where the CPU went. Also usable alone:
//   node --import tsx bench/lib/profile.ts path/to/file.cpuprofile [top=25]
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time in ms and % of the profile, by function. */
  functions: { name: string; ms: number; pct: number }[];
  /** Self time by package (node_modules/<pkg>), node internals, app source, GC, idle. */
  packages: { name: string; ms: number; pct: number }[];
  /** Inclusive time: samples with the package anywhere on the stack (what runs under it counts too), % of busy time. */
  onStack: { name: string; ms: number; pct: number }[];
  /** Inclusive time of the app's own functions (src/…), % of busy time. */
  appFunctions: { name: string; ms: number; pct: number }[];
  /** Non-idle time. */
  busyMs: number;
}

function packageOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node internals';
  const src = url.indexOf('/src/');
  if (src >= 0) return `app ${url.slice(src + 1).split('/').slice(0, 3).join('/')}`;
  return url.replace(/^file:\/\//, '');
}

/** A stretch of time in µs of CLOCK_MONOTONIC: V8's profile timestamps and process.hrtime use the same clock on Linux. */
export interface Window {
  from: number;
  to: number;
}

export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

/** Self time per function and package; with `windows`, only of the samples taken inside them. */
export function summarizeProfile(file: string, top = 25, windows?: Window[]): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let at = p.startTime;
  let totalMs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const delta = p.timeDeltas[i] ?? 0;
    at += delta;
    if (windows && !windows.some((w) => at >= w.from && at <= w.to)) continue;
    self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + delta / 1000);
    totalMs += delta / 1000;
  }
  const fns = new Map<string, number>();
  const pkgs = new Map<string, number>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const onStack = new Map<string, number>();
  const appFns = new Map<string, number>();
  let busyMs = 0;
  for (const [id, ms] of self) {
    const leaf = byId.get(id)!.callFrame.functionName;
    if (leaf === '(idle)') continue;
    busyMs += ms;
    const seenPkg = new Set<string>();
    const seenFn = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const { functionName, url, lineNumber } = byId.get(at)!.callFrame;
      if (!url) continue;
      seenPkg.add(packageOf(url, functionName));
      const src = url.indexOf('/src/');
      if (src >= 0 && !url.includes('node_modules')) seenFn.add(`${functionName || '(anonymous)'} ${url.slice(src + 1)}:${lineNumber + 1}`);
    }
    for (const k of seenPkg) onStack.set(k, (onStack.get(k) ?? 0) + ms);
    for (const k of seenFn) appFns.set(k, (appFns.get(k) ?? 0) + ms);
  }
  for (const [id, ms] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const short = url ? `${url.replace(/^file:\/\//, '').split('/node_modules/').pop()}:${lineNumber + 1}` : '';
    const name = `${functionName || '(anonymous)'}${short ? ` ${short}` : ''}`;
    fns.set(name, (fns.get(name) ?? 0) + ms);
    const pkg = packageOf(url, functionName);
    pkgs.set(pkg, (pkgs.get(pkg) ?? 0) + ms);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), pct: Math.round((ms / totalMs) * 1000) / 10 }));
  const rankBusy = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), pct: Math.round((ms / busyMs) * 1000) / 10 }));
  return {
    file,
    totalMs: Math.round(totalMs),
    busyMs: Math.round(busyMs),
    functions: rank(fns),
    packages: rank(pkgs),
    onStack: rankBusy(onStack),
    appFunctions: rankBusy(appFns),
  };
}

export function printProfile(s: ProfileSummary, log: (l: string) => void = console.log) {
  log(`profile ${path.basename(s.file)}: ${s.totalMs} ms, ${s.busyMs} ms busy`);
  log('  self time by package:');
  for (const x of s.packages) log(`    ${String(x.pct).padStart(5)} %  ${String(x.ms).padStart(7)} ms  ${x.name}`);
  log('  self time by function:');
  for (const x of s.functions) log(`    ${String(x.pct).padStart(5)} %  ${String(x.ms).padStart(7)} ms  ${x.name}`);
  log('  on the stack (inclusive), % of busy time, by package:');
  for (const x of s.onStack) log(`    ${String(x.pct).padStart(5)} %  ${String(x.ms).padStart(7)} ms  ${x.name}`);
  log('  on the stack (inclusive), % of busy time, app functions:');
  for (const x of s.appFunctions) log(`    ${String(x.pct).padStart(5)} %  ${String(x.ms).padStart(7)} ms  ${x.name}`);
}

if (process.argv[1] && import.meta.url.endsWith(`/${path.basename(process.argv[1])}`)) {
  printProfile(summarizeProfile(process.argv[2]!, Number(process.argv[3] ?? 25)));
}
