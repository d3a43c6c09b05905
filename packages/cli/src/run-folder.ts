/**
 * A `dl train` run folder: `run.json` (the settings, so `--resume` continues with the same ones), `checkpoint/`
 * (the model after the last finished epoch, with optimizer state and the history so far), `history.json`, and at the
 * end the final model and `metrics.json`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Callback, History, type HistoryJson, type Logs } from '@dl/core';
import { UsageError } from './usage-error.js';
import { writeJson } from './write-json.js';

export interface RunConfig {
  preset: string;
  epochs: number;
  batchSize: number;
  /** `--learning-rate`: the preset's schedule peaks here instead of at its default. */
  learningRate?: number;
  limit?: number;
  seed?: number;
  dataDir?: string;
}

export const RUN_JSON = 'run.json';
export const CHECKPOINT_DIR = 'checkpoint';
export const HISTORY_JSON = 'history.json';

export async function readRunConfig(dir: string): Promise<RunConfig> {
  const path = join(dir, RUN_JSON);
  if (!existsSync(path)) throw new UsageError(`${path} not found: --resume takes a run folder written by \`dl train\` (e.g. runs/cnn-…)`);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as RunConfig;
  } catch (err) {
    throw new UsageError(`${path}: not valid JSON (${(err as Error).message}); the run cannot be resumed`);
  }
}

export function emptyHistory(): HistoryJson {
  return { epoch: [], history: {}, epochSeconds: [] };
}

/** `earlier` followed by the epochs of `later`. */
export function appendHistory(earlier: HistoryJson, later: History | HistoryJson): HistoryJson {
  const next = 'toJSON' in later ? later.toJSON() : later;
  const history: Record<string, number[]> = {};
  for (const key of new Set([...Object.keys(earlier.history), ...Object.keys(next.history)])) {
    history[key] = [...(earlier.history[key] ?? []), ...(next.history[key] ?? [])];
  }
  return { epoch: [...earlier.epoch, ...next.epoch], history, epochSeconds: [...earlier.epochSeconds, ...next.epochSeconds] };
}

/**
 * After every epoch: saves the model with its optimizer state into `checkpoint/`, carrying the history so far in
 * its metadata — checkpoint and history are then one atomic write — and rewrites `history.json`.
 */
export class RunCheckpoint extends Callback {
  private readonly current = new History();

  constructor(
    private readonly dir: string,
    private readonly earlier: HistoryJson,
  ) {
    super();
  }

  private batches = 0;

  override onEpochBegin(): void {
    this.current.onEpochBegin();
    this.batches = 0;
  }

  override onTrainBatchEnd(): void {
    this.batches++;
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    // An epoch cut short (Ctrl-C, a NaN loss) is not checkpointed: resuming redoes it whole.
    if (this.params.steps !== undefined && this.batches < this.params.steps) return;
    this.current.onEpochEnd(epoch, logs);
    const history = appendHistory(this.earlier, this.current);
    await this.model.save(join(this.dir, CHECKPOINT_DIR), { metadata: { ...this.model.metadata, history } });
    await writeJson(join(this.dir, HISTORY_JSON), history);
  }
}
