import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel, ProgbarLogger, setSeed, TerminateOnNaN, type HistoryJson, type Model } from '@dl/core';
import { saveVocabulary, type Preset } from '@dl/models';
import { makeOutput } from '../output.js';
import { appendHistory, CHECKPOINT_DIR, emptyHistory, HISTORY_JSON, readRunConfig, RUN_JSON, RunCheckpoint, type RunConfig } from '../run-folder.js';
import { UsageError } from '../usage-error.js';
import { writeJson } from '../write-json.js';
import { resolvePreset } from './resolve-preset.js';

export interface TrainCommandOptions {
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  limit?: number;
  seed?: number;
  out?: string;
  dataDir?: string;
  resume?: string;
  json?: boolean;
  quiet?: boolean;
}

/**
 * `dl train <preset>`: trains on the train split with a checkpoint after every epoch, evaluates on the test split,
 * saves model, history and metrics. `--resume DIR` continues a run that was stopped, running only the epochs that remain.
 */
export async function train(presetName: string | undefined, options: TrainCommandOptions): Promise<void> {
  const { config, outDir } = await runSettings(presetName, options);
  const preset = resolvePreset(config.preset);
  const out = makeOutput(options);
  if (config.seed !== undefined) setSeed(config.seed);

  const data = await preset.loadData({
    ...(config.dataDir !== undefined ? { dataDir: config.dataDir } : {}),
    ...(config.limit !== undefined ? { limit: config.limit } : {}),
    log: out.datasetLog,
  });
  // Recorded once the data has loaded, so a bad --data-dir leaves no run folder behind.
  if (options.resume === undefined) await writeJson(join(outDir, RUN_JSON), config);
  // Text presets: the vocabulary that indexed the data, beside the model, so `dl predict` indexes raw text the same way.
  if (data.vocabulary) await saveVocabulary(outDir, data.vocabulary);
  const { model, earlier } = await startingPoint(outDir, preset);
  const metadata = { preset: preset.name, dataset: preset.dataset };
  const samples = data.train.x.shape[0]!;
  const initialEpoch = earlier.epoch.length;
  if (initialEpoch > 0) out.info(`Resuming '${preset.name}' from ${outDir} after epoch ${initialEpoch} of ${config.epochs}`);
  else out.info(`Training '${preset.name}' on ${samples} samples for ${config.epochs} epochs (batch size ${config.batchSize})`);

  model.net.setUserDefinedMetadata(metadata);
  const nan = new TerminateOnNaN();
  // TerminateOnNaN before the checkpoint, so a diverged epoch is never saved as one to resume from.
  const callbacks = [...preset.callbacks({ epochs: config.epochs, outDir, ...(config.learningRate !== undefined ? { learningRate: config.learningRate } : {}) }), nan, new RunCheckpoint(outDir, earlier)];
  if (out.progressStream) callbacks.push(new ProgbarLogger({ stream: out.progressStream }));
  const interrupt = stopOnInterrupt(model, outDir);
  let fitted;
  try {
    fitted = await model.fit(data.train.x, data.train.y, {
      epochs: config.epochs,
      initialEpoch,
      batchSize: config.batchSize,
      callbacks,
      verbose: out.progressStream ? 1 : 0,
    });
  } finally {
    interrupt.dispose();
  }
  if (nan.terminatedAt) {
    throw new Error(
      `the loss became NaN or infinite at epoch ${nan.terminatedAt.epoch + 1}, batch ${nan.terminatedAt.batch}: training stopped. ` +
        'Lower the learning rate or check the data; the last good checkpoint is in ' + join(outDir, CHECKPOINT_DIR),
    );
  }
  if (interrupt.interrupted) {
    process.stderr.write(`Interrupted. The last finished epoch is checkpointed; continue with: dl train --resume ${outDir}\n`);
    process.exitCode = 130;
    return;
  }
  const history = appendHistory(earlier, fitted);

  const metrics = await model.evaluate(data.test.x, data.test.y, { batchSize: 256 });
  await model.save(outDir, { metadata });
  await writeJson(join(outDir, HISTORY_JSON), history);
  await writeJson(join(outDir, 'metrics.json'), metrics);

  const seconds = history.epochSeconds.reduce((a, b) => a + b, 0);
  const samplesPerSecond = (samples * history.epochSeconds.length) / seconds;
  out.info(`Test ${formatMetrics(metrics)} (${data.test.x.shape[0]} samples)`);
  out.info(`Trained in ${seconds.toFixed(1)} s (${Math.round(samplesPerSecond)} samples/s); saved to ${outDir}`);
  out.json({ preset: preset.name, out: outDir, ...metrics, epochs: history.epoch.length, trainSeconds: seconds, samplesPerSecond });
}

/**
 * Ctrl-C (SIGINT) stops training after the current batch, leaving the last epoch's checkpoint to resume from;
 * a second Ctrl-C exits at once.
 */
function stopOnInterrupt(model: Model, outDir: string): { readonly interrupted: boolean; dispose(): void } {
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    model.stopTraining = true;
    process.stderr.write(`\nStopping after this batch (Ctrl-C again to quit now); resume with: dl train --resume ${outDir}\n`);
  };
  process.on('SIGINT', onSigint);
  return {
    get interrupted() {
      return interrupted;
    },
    dispose: () => process.off('SIGINT', onSigint),
  };
}

/** The run's settings: from the command line for a new run (recorded in run.json), from run.json for `--resume`. */
async function runSettings(presetName: string | undefined, options: TrainCommandOptions): Promise<{ config: RunConfig; outDir: string }> {
  if (options.resume !== undefined) {
    if (options.out !== undefined) throw new UsageError('--resume DIR continues the run in DIR: drop --out');
    const outDir = resolve(options.resume);
    const saved = await readRunConfig(outDir);
    if (presetName !== undefined && presetName !== saved.preset) {
      throw new UsageError(`${join(outDir, RUN_JSON)} is a run of preset '${saved.preset}', not '${presetName}'`);
    }
    // Only the epoch count may change on resume (to extend a run); the rest must match what the checkpoint trained with.
    return { config: { ...saved, ...(options.epochs !== undefined ? { epochs: options.epochs } : {}) }, outDir };
  }
  if (presetName === undefined) throw new UsageError('name a preset (see `dl list`), or pass --resume DIR');
  const preset = resolvePreset(presetName);
  const config: RunConfig = {
    preset: preset.name,
    epochs: options.epochs ?? preset.defaults.epochs,
    batchSize: options.batchSize ?? preset.defaults.batchSize,
    ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.dataDir !== undefined ? { dataDir: resolve(options.dataDir) } : {}),
  };
  const outDir = resolve(options.out ?? join('runs', `${preset.name}-${timestamp()}`));
  if (existsSync(join(outDir, RUN_JSON))) {
    throw new UsageError(`${outDir} already holds a run: continue it with --resume ${options.out ?? outDir}, or choose another --out`);
  }
  return { config, outDir };
}

/** The run's last checkpoint and its history, or a new model when there is none yet. */
async function startingPoint(outDir: string, preset: Preset): Promise<{ model: Model; earlier: HistoryJson }> {
  const checkpoint = join(outDir, CHECKPOINT_DIR);
  const model = preset.load ? await preset.load(checkpoint) : existsSync(join(checkpoint, 'model.json')) ? await loadModel(checkpoint) : undefined;
  if (!model) return { model: preset.build(), earlier: emptyHistory() };
  const earlier = (model.metadata?.history as HistoryJson | undefined) ?? emptyHistory();
  return { model, earlier };
}

export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
    .join(' - ');
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}
