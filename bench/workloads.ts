/**
 * The benchmark's workloads: what each measures and how long it runs. The harness (run.ts) reads only this file; the
 * networks themselves are built by bench/dl/networks.ts and mirrored in Keras from the spec it writes.
 */

export const WORKLOAD_NAMES = ['cnn-train', 'cnn-infer', 'lstm-train', 'text-train', 'gan-train'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

/**
 * The fewest warm-up batches: dl traces a step eagerly on its first three calls and compiles it on the fourth
 * (packages/core/src/graph/graph-function.ts); Keras compiles on the first. The dl scripts refuse a run whose timed
 * batches include dl's compilation (dl/common.ts).
 */
export const MIN_WARMUP = 4;

export interface RunLength {
  /** Timed batches (training steps, or batches of inference). */
  steps: number;
  /**
   * Untimed batches first: graph building, kernel selection, allocator warm-up. At least {@link MIN_WARMUP}, so that
   * both sides' steps are compiled before the timing starts.
   */
  warmup: number;
}

export interface Workload extends RunLength {
  name: WorkloadName;
  title: string;
  batchSize: number;
  /** Short runs for `--quick`, a smoke test of both sides. */
  quick: RunLength;
  /**
   * Counted FLOPs per timed sample as a multiple of the network's forward FLOPs (2 × multiply-adds): 3 for a training
   * step (forward, gradient with respect to activations, gradient with respect to weights), 1 for inference; null when
   * not reported.
   */
  flopFactor: number | null;
}

export const WORKLOADS: Readonly<Record<WorkloadName, Workload>> = {
  'cnn-train': {
    name: 'cnn-train',
    title: 'CNN MNIST training (the `cnn` preset)',
    batchSize: 64,
    steps: 300,
    warmup: 10,
    quick: { steps: 30, warmup: 4 },
    flopFactor: 3,
  },
  'cnn-infer': {
    name: 'cnn-infer',
    title: 'CNN MNIST inference (the `cnn` preset), `predict`',
    batchSize: 256,
    steps: 60,
    warmup: 5,
    quick: { steps: 10, warmup: 4 },
    flopFactor: 1,
  },
  'lstm-train': {
    name: 'lstm-train',
    title: 'LSTM IMDB training (the `lstm` preset)',
    batchSize: 64,
    steps: 200,
    warmup: 10,
    quick: { steps: 5, warmup: 4 },
    flopFactor: 3,
  },
  'text-train': {
    name: 'text-train',
    title: 'Text classifier training (the `text-classifier` preset)',
    batchSize: 64,
    steps: 300,
    warmup: 10,
    quick: { steps: 30, warmup: 4 },
    flopFactor: null, // embedding lookups and averaging: no arithmetic worth counting
  },
  'gan-train': {
    name: 'gan-train',
    title: 'DCGAN training (the `gan` preset): one generator and one discriminator update per step, the generator run once',
    batchSize: 64,
    steps: 100,
    warmup: 10,
    quick: { steps: 5, warmup: 4 },
    flopFactor: null,
  },
};

export function isWorkloadName(name: string): name is WorkloadName {
  return (WORKLOAD_NAMES as readonly string[]).includes(name);
}
