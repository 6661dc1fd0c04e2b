// The markdown for one run: a header naming the machine, adapter, command and date, a summary
// table (tenfold against each peer, with the ratio to the faster peer and the issue's 1.5×
// target), and the per-case details.
import os from 'node:os';
import { cpuModel } from '../machine.js';
import { fmt } from '../util.js';
import { medianFigure, speedupOverBestPeer, type Workload } from './result.js';

export interface RunInfo {
  adapter: string;
  vendor: string;
  fallback: boolean;
  command: string;
  date: string;
  seconds: number;
  loadStart: number;
  loadEnd: number;
  versions: Record<string, string>;
}

function header(info: RunInfo): string[] {
  const cores = os.cpus().length;
  const busy = Math.max(info.loadStart, info.loadEnd) > cores * 0.5;
  return [
    `- **Adapter:** ${info.adapter}${info.vendor ? ` (vendor ${info.vendor})` : ''}${info.fallback ? ', a software (CPU) adapter' : ''}`,
    `- **Date:** ${info.date}; **command:** \`${info.command}\`, ${info.seconds.toFixed(0)} s in all`,
    `- **Machine:** ${cpuModel()}, ${cores} logical cores, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB; Node ${process.version}; ${Object.entries(info.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
    `- **Load average (1 min):** ${info.loadStart.toFixed(2)} at the start, ${info.loadEnd.toFixed(2)} at the end, on ${cores} cores${busy ? ' (shared and busy: absolute figures are noisy; the ratios come from interleaved samples in one process)' : ''}`,
  ];
}

function summary(ws: readonly Workload[], peers: readonly string[]): string[] {
  const lines = [
    `| Workload | Unit | tenfold | ${peers.join(' | ')} | tenfold ÷ faster peer | Target | Met? |`,
    `| --- | --- | ---: | ${peers.map(() => '---:').join(' | ')} | ---: | --- | --- |`,
  ];
  for (const w of ws) {
    const cell = (i: number) => {
      const v = medianFigure(w, i);
      return v === undefined ? 'failed' : fmt(v);
    };
    const s = speedupOverBestPeer(w);
    const ratio = s === undefined ? '—' : `${fmt(s.ratio)}× (${s.peer.replace(/ \(.*$/, '')})`;
    const t = w.target;
    const vs = t === undefined ? undefined : speedupOverBestPeer(w, t.peer);
    const target = t === undefined ? '—' : `≥ ${t.ratio}× ${t.peer ?? 'the faster peer'}`;
    const met = t === undefined || vs === undefined ? '—' : vs.ratio >= t.ratio ? `yes (${fmt(vs.ratio)}×)` : `**no** (${fmt(vs.ratio)}×)`;
    lines.push(`| ${w.name} | ${w.unit} | ${cell(0)} | ${peers.map((_, i) => cell(i + 1)).join(' | ')} | ${ratio} | ${target} | ${met} |`);
  }
  return lines;
}

function details(ws: readonly Workload[]): string[] {
  const lines = ['| Workload | Library | Median | Best | Runs | Median ms / sample | A sample is |', '| --- | --- | ---: | ---: | ---: | ---: | --- |'];
  for (const w of ws) {
    for (const r of w.results) {
      if (r.timing instanceof Error) {
        lines.push(`| ${w.name} | ${r.who} | failed: ${r.timing.message.replace(/\|/g, '\\|').slice(0, 160)} | | | | |`);
        continue;
      }
      const t = r.timing;
      lines.push(
        `| ${w.name} | ${r.who} | ${fmt(w.figure(t.medianMs))} ${w.unit} | ${fmt(w.figure(t.minMs))} ${w.unit} | ${t.samples.length} | ${fmt(t.medianMs)} | ${w.sample} |`,
      );
    }
  }
  return lines;
}

export function markdown(info: RunInfo, ws: readonly Workload[], peers: readonly string[], notes: readonly string[]): string {
  return [...header(info), '', ...summary(ws, peers), '', ...details(ws), '', ...notes.map((n) => `- ${n}`)].join('\n');
}
