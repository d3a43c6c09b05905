import cliProgress from 'cli-progress';
import { Callback, type Logs } from './callback.js';

export interface ProgbarLoggerOptions {
  /** Where to draw; stdout by default (the CLI uses stderr when stdout carries JSON). */
  stream?: NodeJS.WriteStream;
}

/**
 * Keras's progress bar. On a terminal (verbose 1) a live bar per epoch:
 *   `  12/1875 [>.............................] - ETA: 25s - loss: 0.3210 - accuracy: 0.9012`
 * ending as `1875/1875 [==============================] - 12s 6ms/step - loss: 0.0321 - accuracy: 0.9901`.
 * When not a terminal, or with verbose 2, one plain line per epoch. Silent with verbose 0 (fit does not add it).
 */
export class ProgbarLogger extends Callback {
  private readonly stream: NodeJS.WriteStream;
  private bar: cliProgress.SingleBar | undefined;
  private epochStart = 0;
  private seen = 0;
  private sums: Record<string, number> = {};
  /** Steps run so far in this epoch. */
  private steps = 0;

  constructor(options: ProgbarLoggerOptions = {}) {
    super();
    this.stream = options.stream ?? process.stdout;
  }

  /** A live bar needs a terminal, verbose 1, and a known number of steps (a stream's is learnt in its first epoch). */
  private get live(): boolean {
    return this.params.verbose === 1 && this.stream.isTTY === true && this.params.steps !== undefined;
  }

  override onEpochBegin(epoch: number): void {
    this.stream.write(`Epoch ${epoch + 1}/${this.params.epochs}\n`);
    this.epochStart = performance.now();
    this.seen = 0;
    this.steps = 0;
    this.sums = {};
    if (!this.live) return;
    this.bar = new cliProgress.SingleBar({
      stream: this.stream,
      format: (_options, params, payload: { text?: string }) =>
        `${this.counter(params.value)} ${barOf(params.value, params.total)}${payload.text ?? ''}`,
      hideCursor: true,
      linewrap: false,
      fps: 10,
      etaBuffer: 50,
    });
    this.bar.start(this.params.steps!, 0, { text: '' });
  }

  override onTrainBatchEnd(batch: number, logs: Logs): void {
    this.steps = batch + 1;
    const size = logs.size ?? 1;
    this.seen += size;
    for (const [k, v] of Object.entries(logs)) if (k !== 'size' && k !== 'batch') this.sums[k] = (this.sums[k] ?? 0) + v * size;
    if (!this.bar) return;
    const done = batch + 1;
    const elapsed = (performance.now() - this.epochStart) / 1000;
    const eta = (elapsed / done) * (this.params.steps! - done);
    this.bar.update(done, { text: ` - ETA: ${formatSeconds(eta)}${formatLogs(this.running())}` });
  }

  override onEpochEnd(_epoch: number, logs: Logs): void {
    const seconds = (performance.now() - this.epochStart) / 1000;
    // The batches actually run: fewer than params.steps when the epoch was cut short (stopTraining, a signal).
    const steps = this.steps;
    const perStep = `${Math.round((seconds * 1000) / Math.max(1, steps))}ms/step`;
    if (this.bar) {
      this.bar.update(steps, { text: ` - ${formatSeconds(seconds)} ${perStep}${formatLogs(logs)}` });
      this.bar.stop();
      this.bar = undefined;
    } else {
      this.stream.write(`${this.counter(steps)} - ${formatSeconds(seconds)} - ${perStep}${formatLogs(logs)}\n`);
    }
  }

  /** Also called when fit fails, so a live bar never keeps its timer running or the cursor hidden. */
  override onTrainEnd(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  private running(): Logs {
    const out: Logs = {};
    for (const [k, v] of Object.entries(this.sums)) out[k] = v / Math.max(1, this.seen);
    return out;
  }

  private counter(done: number): string {
    const total = this.params.steps === undefined ? 'Unknown' : String(this.params.steps);
    return `${String(done).padStart(total.length)}/${total}`;
  }
}

const BAR_WIDTH = 30;

function barOf(done: number, total: number): string {
  const filled = Math.floor((BAR_WIDTH * done) / Math.max(1, total));
  if (filled >= BAR_WIDTH) return `[${'='.repeat(BAR_WIDTH)}]`;
  return `[${'='.repeat(filled)}>${'.'.repeat(BAR_WIDTH - filled - 1)}]`;
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  if (s >= 3600) return `${Math.floor(s / 3600)}:${pad2(Math.floor((s % 3600) / 60))}:${pad2(Math.floor(s % 60))}`;
  if (s >= 60) return `${Math.floor(s / 60)}:${pad2(Math.floor(s % 60))}`;
  return `${s}s`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function formatLogs(logs: Logs): string {
  return Object.entries(logs)
    .filter(([k]) => k !== 'size' && k !== 'batch')
    .map(([k, v]) => ` - ${k}: ${Math.abs(v) < 1e-3 && v !== 0 ? v.toExponential(4) : v.toFixed(4)}`)
    .join('');
}
