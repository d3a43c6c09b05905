/**
 * What every dl-side workload script shares: its command line (`--steps N --batch-size N --warmup N`), the check that
 * TensorFlow's native kernels run, synthetic data, the timing, and the one JSON line it prints on stdout:
 * `{"samplesPerSecond": …, "peakRssMb": …, …}`. Each script runs in its own process, so peak RSS is this side's alone.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { MIN_WARMUP, WORKLOADS, type WorkloadName } from '../workloads.js';
import { build, describe, type ArraySpec, type Built, type WorkloadSpec } from './networks.js';
import { backendInfo, Callback, dlPackages, tf, type ShapedArray } from './dl.js';

export interface RunOptions {
  steps: number;
  batchSize: number;
  warmup: number;
  /** The spec the harness wrote at the start of the run (bench/out/specs/<workload>.json), to check against. */
  spec?: string;
}

export function runOptions(workload: WorkloadName): RunOptions {
  const w = WORKLOADS[workload];
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: String(w.steps) },
      'batch-size': { type: 'string', default: String(w.batchSize) },
      warmup: { type: 'string', default: String(w.warmup) },
      spec: { type: 'string' },
    },
  });
  const int = (name: string, v: string | undefined, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number ≥ ${min}, got '${v}'`);
    return n;
  };
  return {
    steps: int('steps', values.steps, 1),
    batchSize: int('batch-size', values['batch-size'], 1),
    warmup: int('warmup', values.warmup, 1),
    ...(values.spec !== undefined ? { spec: values.spec } : {}),
  };
}

/**
 * Fails when the networks just built differ from the spec the Keras side builds from: dl's build (packages/*\/dist)
 * changed since the harness wrote it, e.g. a preset was edited and rebuilt mid-run, and the two sides would no longer
 * run the same network.
 */
export function checkAgainstSpec(workload: WorkloadName, built: Built, specFile: string): void {
  const expected = JSON.parse(readFileSync(specFile, 'utf8')) as WorkloadSpec;
  const actual = describe(workload, built);
  // What decides the speed: not the layers' names nor the optimizer's hyper-parameters.
  const facts = (s: WorkloadSpec): Record<string, string> => ({
    source: s.source,
    optimizer: s.optimizer.name,
    loss: String(s.loss),
    x: JSON.stringify(s.x),
    y: JSON.stringify(s.y),
    ...Object.fromEntries(
      Object.entries(s.networks).map(([role, n]) => [role, `${n.summary}, input [${n.inputShape.join(', ')}], ${n.params} parameters`]),
    ),
  });
  const [want, got] = [facts(expected), facts(actual)];
  const differ = [...new Set([...Object.keys(want), ...Object.keys(got)])].filter((k) => want[k] !== got[k]);
  if (differ.length) {
    throw new Error(
      `dl's ${workload} is not what ${specFile} describes, which the Keras side mirrors (was dl rebuilt since the spec was written?):\n` +
        differ.map((k) => `  ${k}: spec ${want[k] ?? '—'}\n  ${' '.repeat(k.length)}  built ${got[k] ?? '—'}`).join('\n'),
    );
  }
}

/** Refuses to measure the pure-JS fallback: the numbers would be about 700× off. */
export function requireNativeBackend(): void {
  const info = backendInfo();
  if (info.backend !== 'tensorflow') {
    throw new Error(
      `dl is running on the '${info.backend}' backend, not TensorFlow's native kernels (${info.reason ?? 'unknown reason'}); run \`pnpm run setup-native\``,
    );
  }
}

/** `count` samples of uniform values in [low, high) (integers for int32), as a plain array dl's fit/predict take. */
export function synthetic(spec: ArraySpec, count: number): ShapedArray {
  const size = count * spec.shape.reduce((a, b) => a * b, 1);
  const span = spec.high - spec.low;
  if (spec.dtype === 'int32') {
    const data = new Int32Array(size);
    for (let i = 0; i < size; i++) data[i] = spec.low + Math.floor(Math.random() * span);
    return { data, shape: [count, ...spec.shape] };
  }
  const data = new Float32Array(size);
  for (let i = 0; i < size; i++) data[i] = spec.low + Math.random() * span;
  return { data, shape: [count, ...spec.shape] };
}

/**
 * Times training batches `warmup` … `warmup + steps − 1` of one epoch: from the start of the first timed batch to the
 * end of the epoch (dl's train step reads its logs every batch, so each batch has finished when the next begins).
 */
export class BatchTimer extends Callback {
  start: number | undefined;
  end: number | undefined;
  /** The model's graph calls when the timed batches began. */
  private graphCallsAtStart: number | undefined;

  constructor(
    private readonly warmup: number,
    private readonly graphCalls: () => number,
  ) {
    super();
  }

  override onTrainBatchBegin(batch: number): void {
    if (batch !== this.warmup) return;
    this.graphCallsAtStart = this.graphCalls();
    this.start = performance.now();
  }

  override onEpochEnd(): void {
    this.end = performance.now();
  }

  seconds(): number {
    if (this.start === undefined || this.end === undefined) throw new Error('the timed batches did not run');
    requireCompiledBeforeTiming(this.graphCallsAtStart!, this.graphCalls());
    return (this.end - this.start) / 1000;
  }
}

/**
 * The warm-up must absorb dl's one-time compilation of its step, as it absorbs Keras's (Keras traces and compiles on
 * its first batch): dl runs a step's first three calls eagerly while tracing it and compiles it on its first graph
 * call, the fourth (packages/core/src/graph/graph-function.ts). Timing that call would charge dl's compilation (1.2 s
 * for lstm-train's unrolled LSTM) to its steady-state speed and not Keras's; so a run whose first graph call fell
 * inside the timed batches is refused.
 */
function requireCompiledBeforeTiming(graphCallsBefore: number, graphCallsAfter: number): void {
  if (graphCallsBefore === 0 && graphCallsAfter > 0) {
    throw new Error(
      `the timed batches include dl's compilation of its step (its first graph call, the ${MIN_WARMUP}th batch): use --warmup ${MIN_WARMUP} or more`,
    );
  }
}

export interface Measurement {
  samplesPerSecond: number;
  seconds: number;
  samples: number;
}

/** Trains one epoch of `warmup + steps` batches on synthetic data with `model.fit` (or a GAN's custom train step). */
export async function measureFit(built: Built, options: RunOptions): Promise<Measurement> {
  const n = (options.warmup + options.steps) * options.batchSize;
  const x = synthetic(built.x, n);
  const timer = new BatchTimer(options.warmup, () => built.model.graphCalls.graph);
  const fitOptions = { epochs: 1, batchSize: options.batchSize, verbose: 0 as const, callbacks: [timer] };
  if (built.kind === 'gan') await built.model.fit(x, fitOptions);
  else await built.model.fit(x, synthetic(built.y!, n), fitOptions);
  const seconds = timer.seconds();
  const samples = options.steps * options.batchSize;
  return { samplesPerSecond: samples / seconds, seconds, samples };
}

/**
 * Inference with `model.predict`: a warm-up call on `warmup` batches, then one timed call on `steps` batches,
 * including reading the predictions back (as Keras's predict returns numpy arrays).
 */
export async function measurePredict(built: Built, options: RunOptions): Promise<Measurement> {
  const run = async (batches: number) => {
    const x = synthetic(built.x, batches * options.batchSize);
    const start = performance.now();
    const y = built.model.predict(x, { batchSize: options.batchSize });
    await y.data();
    const seconds = (performance.now() - start) / 1000;
    y.dispose();
    return seconds;
  };
  await run(options.warmup);
  const graphCallsBefore = built.model.graphCalls.graph;
  const seconds = await run(options.steps);
  requireCompiledBeforeTiming(graphCallsBefore, built.model.graphCalls.graph);
  const samples = options.steps * options.batchSize;
  return { samplesPerSecond: samples / seconds, seconds, samples };
}

/** Runs a workload and prints its result line. Usage: `<workload>.ts [--steps N] [--batch-size N] [--warmup N] [--spec FILE]`. */
export async function main(workload: WorkloadName): Promise<void> {
  try {
    const options = runOptions(workload);
    requireNativeBackend();
    const built = build(workload);
    if (options.spec !== undefined) checkAgainstSpec(workload, built, options.spec);
    const m = built.kind === 'predict' ? await measurePredict(built, options) : await measureFit(built, options);
    const info = backendInfo();
    const result = {
      side: 'dl',
      workload,
      ...m,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
      ...options,
      params: Object.values(built.networks).reduce((s, net) => s + net.net.countParams(), 0),
      source: built.source,
      kernels: kernelNotes(built),
      versions: { tfjs: info.tfjsVersion, tensorflow: info.tensorflowVersion, node: process.version },
      dlPackages,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  }
}

/**
 * Layers that count which implementation ran (their eager calls: tracing, or steps that stay eager), as
 * `{ layer: counts }`, and under `steps` how many step calls ran as a TensorFlow graph.
 */
function kernelNotes(built: Built): Record<string, Record<string, number>> {
  const notes: Record<string, Record<string, number>> = { steps: built.model.graphCalls };
  for (const net of Object.values(built.networks)) {
    for (const layer of net.net.layers) {
      const counts = Object.entries(layer as unknown as Record<string, unknown>).filter(
        ([k, v]) => /Calls$/.test(k) && typeof v === 'number',
      );
      if (counts.length) notes[layer.name] = Object.fromEntries(counts) as Record<string, number>;
    }
  }
  return notes;
}

export { tf };
