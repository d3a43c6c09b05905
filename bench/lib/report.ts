/** The results of a run: the per-run records, their summary per workload and side, the console table and the results file. */
import type { Workload, WorkloadName } from '../workloads.js';
import { REPORT_TITLE } from './earlier-runs.js';
import type { Machine } from './machine.js';

export type Side = 'dl' | 'keras';

/** One process's measurement. */
export interface RunRecord {
  round: number;
  side: Side;
  ok: boolean;
  samplesPerSecond?: number;
  peakRssMb?: number;
  /** Timed seconds, and the process's whole life (start-up, data, warm-up included). */
  seconds?: number;
  wallSeconds: number;
  params?: number;
  /** dl: layers that count which implementation ran, e.g. `{ lstm: { fusedCalls: 5, genericCalls: 0 } }`. */
  kernels?: Record<string, Record<string, number>>;
  /** Keras: whether fit compiled with XLA (`jit_compile="auto"` resolves to false on a CPU-only machine). */
  jitCompile?: boolean;
  error?: string;
}

export interface SideSummary {
  runs: number;
  medianSamplesPerSecond: number | null;
  minSamplesPerSecond: number | null;
  maxSamplesPerSecond: number | null;
  /** Highest peak RSS over the runs. */
  peakRssMb: number | null;
  /** Counted GFLOP/s at the median speed, and as a fraction of the measured matmul peak. */
  gflops: number | null;
  fractionOfPeak: number | null;
}

export interface NetworkSummary {
  params: number;
  forwardMacs: number;
  summary: string;
  inputShape: number[];
}

export interface WorkloadResult {
  name: WorkloadName;
  title: string;
  batchSize: number;
  steps: number;
  warmup: number;
  source: string;
  networks: Record<string, NetworkSummary>;
  /** FLOPs counted per timed sample (2 × forward multiply-adds × the workload's factor), or null. */
  flopsPerSample: number | null;
  runs: RunRecord[];
  dl: SideSummary;
  keras: SideSummary;
  /** dl samples/s ÷ Keras samples/s in each round (null when a side failed), their median, min and max. */
  ratio: { perRound: Array<number | null>; median: number | null; min: number | null; max: number | null };
  notes: string[];
}

export interface PeakMeasurement {
  size: number;
  repeats: number;
  bestGflops: number;
  medianGflops: number;
  gflops: number[];
}

export interface Results {
  date: string;
  command: string;
  quick: boolean;
  rounds: number;
  machine: Machine;
  versions: { dl: Record<string, string | null>; keras: Record<string, string> };
  /** 2048² matmul through tfjs-node at the start and the end of the run; `gflops` is the best of them. */
  peak: { start: PeakMeasurement | null; end: PeakMeasurement | null; gflops: number | null };
  workloads: WorkloadResult[];
  failures: number;
  /** dl's compiled packages changed while the run went on (someone rebuilt them); the run measured its copy from the start. */
  rebuiltDuringRun: boolean;
}

export function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function summarizeSide(runs: RunRecord[], flopsPerSample: number | null, peakGflops: number | null): SideSummary {
  const ok = runs.filter((r) => r.ok && r.samplesPerSecond !== undefined);
  const sps = ok.map((r) => r.samplesPerSecond!);
  const med = median(sps);
  const gflops = med !== null && flopsPerSample !== null ? (med * flopsPerSample) / 1e9 : null;
  return {
    runs: ok.length,
    medianSamplesPerSecond: med,
    minSamplesPerSecond: sps.length ? Math.min(...sps) : null,
    maxSamplesPerSecond: sps.length ? Math.max(...sps) : null,
    peakRssMb: ok.length ? Math.max(...ok.map((r) => r.peakRssMb ?? 0)) : null,
    gflops,
    fractionOfPeak: gflops !== null && peakGflops ? gflops / peakGflops : null,
  };
}

export function ratios(runs: RunRecord[], rounds: number): WorkloadResult['ratio'] {
  const perRound: Array<number | null> = [];
  for (let r = 0; r < rounds; r++) {
    const dl = runs.find((x) => x.round === r && x.side === 'dl' && x.ok);
    const keras = runs.find((x) => x.round === r && x.side === 'keras' && x.ok);
    perRound.push(dl?.samplesPerSecond && keras?.samplesPerSecond ? dl.samplesPerSecond / keras.samplesPerSecond : null);
  }
  const valid = perRound.filter((v): v is number => v !== null);
  return { perRound, median: median(valid), min: valid.length ? Math.min(...valid) : null, max: valid.length ? Math.max(...valid) : null };
}

export function workloadShell(
  w: Workload,
  length: { steps: number; warmup: number },
): Pick<WorkloadResult, 'name' | 'title' | 'batchSize' | 'steps' | 'warmup'> {
  return { name: w.name, title: w.title, batchSize: w.batchSize, steps: length.steps, warmup: length.warmup };
}

// ---------------------------------------------------------------------------------------------------------------------
// Formatting

const num = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined ? '—' : v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const sig = (v: number) => (v >= 100 ? num(v) : v >= 10 ? num(v, 1) : num(v, 2));
const range = (s: SideSummary) =>
  s.medianSamplesPerSecond === null
    ? 'failed'
    : s.runs > 1
      ? `${sig(s.medianSamplesPerSecond)} (${sig(s.minSamplesPerSecond!)}–${sig(s.maxSamplesPerSecond!)})`
      : sig(s.medianSamplesPerSecond);
const ratioText = (r: WorkloadResult['ratio']) =>
  r.median === null
    ? '—'
    : r.perRound.filter((v) => v !== null).length > 1
      ? `${num(r.median, 2)} (${num(r.min, 2)}–${num(r.max, 2)})`
      : num(r.median, 2);
const gflopsText = (s: SideSummary) =>
  s.gflops === null ? '—' : `${num(s.gflops, 1)}${s.fractionOfPeak !== null ? ` (${num(s.fractionOfPeak * 100)}%)` : ''}`;
const mb = (v: number | null) => (v === null ? '—' : `${num(v)} MB`);

const HEADER = [
  'workload',
  'batch',
  'dl samples/s',
  'Keras samples/s',
  'dl ÷ Keras',
  'dl peak RSS',
  'Keras peak RSS',
  'dl GFLOP/s (% peak)',
  'Keras GFLOP/s (% peak)',
];

function rows(results: Results): string[][] {
  return results.workloads.map((w) => [
    w.name,
    String(w.batchSize),
    range(w.dl),
    range(w.keras),
    ratioText(w.ratio),
    mb(w.dl.peakRssMb),
    mb(w.keras.peakRssMb),
    gflopsText(w.dl),
    gflopsText(w.keras),
  ]);
}

/** The summary table for the terminal. */
export function consoleTable(results: Results): string {
  const all = [HEADER, ...rows(results)];
  const widths = HEADER.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(HEADER), widths.map((w) => '-'.repeat(w)).join('  '), ...rows(results).map(line)].join('\n');
}

/** bench/results-<machine kind>.md: the table, the exact command, the machine and the date. */
export function markdown(results: Results): string {
  const m = results.machine;
  const peak = results.peak;
  const peakLine = (p: PeakMeasurement | null, when: string) =>
    p
      ? `${when}: best ${num(p.bestGflops, 1)}, median ${num(p.medianGflops, 1)} GFLOP/s over ${p.repeats} products`
      : `${when}: not measured`;
  const out: string[] = [];
  out.push(`${REPORT_TITLE} on ${m.cpu} (${m.logicalCpus} logical CPUs)`, '');
  out.push(`Measured ${results.date}${results.quick ? ' — **a `--quick` smoke run: too short to quote**' : ''}, with:`, '');
  out.push('```sh', results.command, '```', '');
  if (results.rebuiltDuringRun)
    out.push("dl's `packages/*/dist` was rebuilt during this run; the run measured the copy it made of them at its start.", '');
  out.push(
    `Each workload ran ${results.rounds} round${results.rounds > 1 ? 's' : ''}; a round runs dl and Keras one after the other, each in a fresh process ` +
      '(order alternating between rounds), on synthetic data of the real shapes. Samples/s: median over rounds (min–max). ' +
      "**dl ÷ Keras**: the median of the rounds' ratios (min–max); above 1, dl is faster. Peak RSS: the highest of the rounds, whole process. " +
      'GFLOP/s: multiply-adds of the Conv2D/Dense/LSTM layers counted ×2, ×3 for a training step, at the median speed; ' +
      `% of the machine's peak${peak.gflops ? ` (${num(peak.gflops, 1)} GFLOP/s, below)` : ''}. See [README.md](README.md) for the method.`,
    '',
  );
  out.push(`| ${HEADER.join(' | ')} |`, `| ${HEADER.map((_, i) => (i < 2 ? '---' : '---:')).join(' | ')} |`);
  for (const r of rows(results)) out.push(`| ${r.join(' | ')} |`);
  out.push('');

  out.push('## Workloads', '');
  for (const w of results.workloads) {
    out.push(
      `- **${w.name}** — ${w.title}; batch ${w.batchSize}, ${w.warmup} warm-up + ${w.steps} timed batches per run; network from ${w.source}:`,
    );
    for (const [role, n] of Object.entries(w.networks)) {
      const name = role === 'model' ? '' : `${role}: `;
      out.push(
        `  ${name}${n.summary}; input [${n.inputShape.join(', ')}]; ${num(n.params)} parameters; ${num(n.forwardMacs / 1e6, 2)} M multiply-adds per sample forward.`,
      );
    }
    const kernels = w.runs.find((r) => r.side === 'dl' && r.kernels && Object.keys(r.kernels).length)?.kernels;
    if (kernels)
      out.push(
        `  dl kernels: ${Object.entries(kernels)
          .map(
            ([layer, c]) =>
              `${layer} ${Object.entries(c)
                .map(([k, v]) => `${k}=${v}`)
                .join(', ')}`,
          )
          .join('; ')} (first round).`,
      );
    for (const note of w.notes) out.push(`  Note: ${note}`);
  }
  out.push('');

  out.push('## Machine and software', '');
  out.push(`- Date: ${results.date}`);
  out.push(
    `- CPU: ${m.cpu} (kind \`${m.kind}\`), ${m.logicalCpus} logical CPUs${m.virtualized ? ' (virtual machine)' : ''}; SIMD: ${m.simd.join(', ') || 'unknown'}; matmul peak ${peak.gflops ? `${num(peak.gflops, 1)} GFLOP/s` : 'not measured'}`,
  );
  out.push(`- Memory: ${m.memoryGb} GB; OS: ${m.os}`);
  out.push(
    `- Load average (1 min): ${num(m.loadAverage.start, 2)} at the start, ${num(m.loadAverage.end, 2)} at the end — other jobs shared the CPUs, so single figures are noisy; the per-round ratios are the robust comparison.`,
  );
  out.push(
    `- Peak (float32 ${peak.start?.size ?? 2048}×${peak.start?.size ?? 2048} \`tf.matMul\` through tfjs-node, read back after each): ${peakLine(peak.start, 'start')}; ${peakLine(peak.end, 'end')}.`,
  );
  out.push(
    `- dl: ${Object.entries(results.versions.dl)
      .map(([k, v]) => `${k} ${v ?? '?'}`)
      .join(
        ', ',
      )}; sources: commit ${m.dl.commit ?? '?'}${m.dl.uncommittedFiles ? ` with ${m.dl.uncommittedFiles} uncommitted file(s) under packages/` : ''}`,
  );
  out.push(
    `- Keras side: ${Object.entries(results.versions.keras)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} (bench/.venv), Keras defaults (\`jit_compile="auto"\` → no XLA on CPU)`,
  );
  out.push('');

  out.push('## Rounds', '');
  out.push(
    '| workload | round | first | dl samples/s | Keras samples/s | dl ÷ Keras | dl RSS | Keras RSS |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const w of results.workloads) {
    w.ratio.perRound.forEach((ratio, round) => {
      const dl = w.runs.find((r) => r.round === round && r.side === 'dl');
      const keras = w.runs.find((r) => r.round === round && r.side === 'keras');
      const first = round % 2 === 0 ? 'dl' : 'Keras';
      const sps = (r: RunRecord | undefined) => (r?.ok ? sig(r.samplesPerSecond!) : 'failed');
      out.push(
        `| ${w.name} | ${round + 1} | ${first} | ${sps(dl)} | ${sps(keras)} | ${num(ratio, 2)} | ${mb(dl?.peakRssMb ?? null)} | ${mb(keras?.peakRssMb ?? null)} |`,
      );
    });
  }
  const failed = results.workloads.flatMap((w) => w.runs.filter((r) => !r.ok).map((r) => ({ w: w.name, r })));
  if (failed.length) {
    out.push('', '## Failures', '');
    for (const { w, r } of failed)
      out.push(`- ${w}, ${r.side}, round ${r.round + 1}:`, '', '  ```', ...r.error!.split('\n').map((l) => `  ${l}`), '  ```');
  }
  out.push('');
  return out.join('\n');
}
