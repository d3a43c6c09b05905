import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { BackupAndRestore, ProgbarLogger, setSeed, TerminateOnNaN, type BackupState, type Model } from '@dl/core';
import type { HeldLock } from '@dl/data';
import { saveVocabulary } from '@dl/models';
import { makeOutput } from '../output.js';
import { readRunConfig, RUN_JSON, writeRunConfig, type RunConfig } from '../run-config.js';
import { dpBuild, dpDefaults, dpPrivacyReport, dpRecipe, dpRunConfig, settleDpNoise } from './train-dp.js';
import {
  abandonNewRun,
  CHECKPOINT_DIR,
  createUniqueFolder,
  HistoryFile,
  HISTORY_JSON,
  METRICS_JSON,
  removeOwnTempFiles,
  takeNewRunFolder,
} from '../run-folder.js';
import { lockRunFolder } from '../run-lock.js';
import { RunSignals } from '../run-signals.js';
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
  /** `--dp`: train with DP-SGD by the preset's DP recipe. */
  dp?: boolean;
  targetEpsilon?: number;
  noiseMultiplier?: number;
  clip?: number;
  delta?: number;
}

/** A run folder this process writes: its settings, its lock, and whether this command made it. */
interface Run {
  config: RunConfig;
  outDir: string;
  lock: HeldLock;
  /** A new run (not --resume), and whether dl created its folder: undone if its data will not load. */
  fresh: boolean;
  created: boolean;
}

/**
 * `dl train <preset>`: trains on the train split with a checkpoint after every epoch (BackupAndRestore into
 * `checkpoint/`), evaluates on the test split, saves model, history and metrics. `--resume DIR` continues a run that
 * was stopped, running only the epochs that remain; a finished run says so and exits 0 (or trains on to a larger
 * `--epochs`). The run folder is locked for the whole command (run-lock.ts); SIGINT and SIGTERM stop it cleanly
 * (run-signals.ts).
 */
export async function train(presetName: string | undefined, options: TrainCommandOptions): Promise<void> {
  const out = makeOutput(options);
  let run: Run | undefined;
  let model: Model | undefined;
  let epochsDone = 0;
  let backup: BackupAndRestore | undefined;
  let finished = false;
  const signals: RunSignals = new RunSignals({
    stopTraining: () => {
      if (model) model.stopTraining = true;
    },
    cleanUpNow: () => {
      if (run === undefined) return;
      removeOwnTempFiles(run.outDir);
      run.lock.releaseSync();
    },
    // The backup's count once fit has restored it (and after each epoch it backs up); before that, the checkpoint's.
    describeState: (): string => describeState(run, Math.max(epochsDone, backup?.history.epoch.length ?? 0), finished, signals.phase),
    write: (text) => process.stderr.write(text),
  });
  try {
    run = await openRun(presetName, options);
    const { config, outDir } = run;
    const preset = resolvePreset(config.preset);
    if (config.seed !== undefined) setSeed(config.seed);

    model = config.dp ? dpBuild(preset, config) : preset.build();
    const checkpoint = join(outDir, CHECKPOINT_DIR);
    const saved = await checkpointState(model, checkpoint, config, outDir);
    epochsDone = saved?.epoch ?? 0;
    const resumed = await reconcileEpochs(run, saved, options.epochs);
    if (resumed === 'finished') {
      finished = true;
      out.info(await finishedMessage(outDir, config));
      out.json({ preset: preset.name, out: outDir, finished: true, epochs: config.epochs });
      return;
    }

    await signals.enter('load');
    let data: Awaited<ReturnType<typeof preset.loadData>>;
    try {
      // A DP recipe may load its own data (text-classifier: another vocabulary).
      const recipe = config.dp ? dpRecipe(preset) : undefined;
      data = await (recipe?.loadData ?? preset.loadData)({
        ...(config.dataDir !== undefined ? { dataDir: config.dataDir } : {}),
        ...(config.limit !== undefined ? { limit: config.limit } : {}),
        log: out.datasetLog,
      });
    } catch (err) {
      // A new run whose data will not load (a bad --data-dir) never started: no run folder is left behind.
      if (run.fresh) {
        await abandonNewRun(outDir, run.lock, run.created);
        run = undefined;
      }
      throw err;
    }
    // Text presets: the vocabulary that indexed the data, beside the model, so `dl predict` indexes raw text the same way.
    if (data.vocabulary) await saveVocabulary(outDir, data.vocabulary);
    const metadata = { preset: preset.name, dataset: preset.dataset };
    const samples = data.train.x.shape[0]!;
    if (config.dp) await settleDpNoise(model, config, outDir, samples, out.info);
    if (epochsDone > 0) out.info(`Resuming '${preset.name}' from ${outDir} after epoch ${epochsDone} of ${config.epochs}`);
    else out.info(`Training '${preset.name}' on ${samples} samples for ${config.epochs} epochs (batch size ${config.batchSize})`);

    model.net.setUserDefinedMetadata(metadata);
    const nan = new TerminateOnNaN();
    // Kept when training ends, so a finished run can be trained on with --resume DIR --epochs N.
    backup = new BackupAndRestore({ backupDir: checkpoint, deleteCheckpoint: false });
    // TerminateOnNaN before the backup, so a diverged epoch is never saved as one to resume from.
    const callbacks = [
      ...(config.dp ? dpRecipe(preset).callbacks : preset.callbacks)({
        epochs: config.epochs,
        outDir,
        ...(config.learningRate !== undefined ? { learningRate: config.learningRate } : {}),
      }),
      nan,
      backup,
      new HistoryFile(outDir, backup),
    ];
    if (out.progressStream) callbacks.push(new ProgbarLogger({ stream: out.progressStream }));
    callbacks.push(signals.callback());
    await signals.enter('train');
    await model.fit(data.train.x, data.train.y, {
      epochs: config.epochs,
      batchSize: config.batchSize,
      callbacks,
      verbose: out.progressStream ? 1 : 0,
    });
    if (nan.terminatedAt) {
      // The backup's count: epochs of this fit count too, and the diverged one was never backed up.
      const good = backup.history.epoch.length;
      const last =
        good > 0
          ? `the last good checkpoint (after epoch ${good}) is in ${checkpoint}: resume it with \`dl train --resume ${outDir}\``
          : 'no epoch finished, so there is no checkpoint to resume from';
      throw new Error(
        `the loss became NaN or infinite at epoch ${nan.terminatedAt.epoch + 1}, batch ${nan.terminatedAt.batch}: training stopped. ` +
          `Lower the learning rate or check the data; ${last}`,
      );
    }
    signals.exitIfReceived();
    const history = backup.history;

    await signals.enter('evaluate');
    const metrics: Record<string, unknown> = await model.evaluate(data.test.x, data.test.y, { batchSize: 256 });
    // The ε of the steps the saved model actually took (the optimizer's step count, restored with each checkpoint).
    if (config.dp) metrics.privacy = dpPrivacyReport(model, config, samples);
    await signals.enter('save');
    await model.save(outDir, { metadata });
    await writeJson(join(outDir, HISTORY_JSON), history);
    // Last: metrics.json marks the run finished.
    await writeJson(join(outDir, METRICS_JSON), metrics);
    finished = true;
    signals.exitIfReceived();

    const seconds = history.epochSeconds.reduce((a, b) => a + b, 0);
    const samplesPerSecond = (samples * history.epochSeconds.length) / seconds;
    out.info(`Test ${formatMetrics(metrics)} (${data.test.x.shape[0]} samples)`);
    if (metrics.privacy) out.info(formatPrivacy(metrics.privacy as Record<string, unknown>));
    out.info(`Trained in ${seconds.toFixed(1)} s (${Math.round(samplesPerSecond)} samples/s); saved to ${outDir}`);
    out.json({ preset: preset.name, out: outDir, ...metrics, epochs: history.epoch.length, trainSeconds: seconds, samplesPerSecond });
  } finally {
    signals.dispose();
    if (run !== undefined) {
      removeOwnTempFiles(run.outDir);
      await run.lock.release();
    }
  }
}

/**
 * The run this command writes, locked: a new one (its folder checked, made and run.json written) or, with --resume,
 * the one in DIR (run.json read and checked).
 */
async function openRun(presetName: string | undefined, options: TrainCommandOptions): Promise<Run> {
  if (options.resume !== undefined) {
    if (options.out !== undefined) throw new UsageError('--resume DIR continues the run in DIR: drop --out');
    if ([options.dp, options.targetEpsilon, options.noiseMultiplier, options.clip, options.delta].some((o) => o !== undefined)) {
      throw new UsageError(
        '--resume DIR continues the run with the privacy settings in its run.json: drop --dp, --target-epsilon, --noise-multiplier, --clip and --delta',
      );
    }
    if (options.resume === '') throw new UsageError('--resume needs a run folder (e.g. runs/cnn-…), got an empty string');
    const outDir = resolve(options.resume);
    if (!existsSync(join(outDir, RUN_JSON))) await readRunConfig(outDir); // throws: not a run folder (no lock taken there)
    const lock = await lockRunFolder(outDir);
    try {
      const config = await readRunConfig(outDir);
      resolvePreset(config.preset);
      if (presetName !== undefined && presetName !== config.preset) {
        throw new UsageError(`${join(outDir, RUN_JSON)} is a run of preset '${config.preset}', not '${presetName}'`);
      }
      return { config, outDir, lock, fresh: false, created: false };
    } catch (err) {
      lock.releaseSync();
      throw err;
    }
  }
  if (presetName === undefined) throw new UsageError('name a preset (see `dl list`), or pass --resume DIR');
  const preset = resolvePreset(presetName);
  const dp = dpRunConfig(preset, options);
  const defaults = dp ? dpDefaults(preset) : preset.defaults;
  const config: RunConfig = {
    preset: preset.name,
    epochs: options.epochs ?? defaults.epochs,
    batchSize: options.batchSize ?? defaults.batchSize,
    ...(options.learningRate !== undefined ? { learningRate: options.learningRate } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.dataDir !== undefined ? { dataDir: resolve(options.dataDir) } : {}),
    ...(dp ? { dp } : {}),
  };
  if (options.out === '')
    throw new UsageError('--out is an empty string: name a new or empty folder for the run (or leave --out out for runs/<preset>-<time>)');
  let outDir: string;
  let created: boolean;
  let lock: HeldLock;
  if (options.out === undefined) {
    outDir = await createUniqueFolder(resolve('runs', `${preset.name}-${timestamp()}`));
    lock = await lockRunFolder(outDir);
    created = true;
  } else {
    outDir = resolve(options.out);
    ({ lock, created } = await takeNewRunFolder(outDir, preset.name));
  }
  // Recorded first, so that the run is resumable from every phase (a signal while its data loads included).
  await writeRunConfig(outDir, config);
  return { config, outDir, lock, fresh: true, created };
}

/** The checkpoint's backup state, checked against the run: its preset, its epochs. Undefined when there is none. */
async function checkpointState(model: Model, checkpoint: string, config: RunConfig, outDir: string): Promise<BackupState | undefined> {
  const metadata = await model.readSavedMetadata(checkpoint);
  if (metadata === undefined) return undefined;
  const preset = metadata['preset'];
  if (preset !== undefined && preset !== config.preset) {
    throw new UsageError(
      `${checkpoint} is a checkpoint of preset '${String(preset)}', but ${join(outDir, RUN_JSON)} is a run of '${config.preset}': it cannot be resumed. Restore the run's own checkpoint, or start a new run`,
    );
  }
  // Its weights loaded now, so a checkpoint of another network is refused before the data loads (the backup loads
  // them again when fit begins).
  await model.loadWeights(checkpoint);
  return BackupAndRestore.readState(model, checkpoint);
}

/**
 * Where a resumed run stands against the epochs asked for, and `--epochs` recorded in run.json: 'finished' when
 * there is nothing left to do; throws when the checkpoint cannot be continued or `--epochs` is below what is done.
 */
async function reconcileEpochs(run: Run, saved: BackupState | undefined, epochsOption: number | undefined): Promise<'finished' | 'train'> {
  if (run.fresh) return 'train';
  const { config, outDir } = run;
  const done = saved?.epoch ?? 0;
  const finished = existsSync(join(outDir, METRICS_JSON));
  const historyEpochs = await readHistoryEpochs(outDir);
  if (epochsOption !== undefined && epochsOption < Math.max(done, historyEpochs)) {
    throw new UsageError(
      `--epochs ${epochsOption} is fewer than the ${Math.max(done, historyEpochs)} epochs ${outDir} has already trained: pass --epochs ${Math.max(done, historyEpochs)} or more, or leave it out`,
    );
  }
  const epochs = epochsOption ?? config.epochs;
  if (finished && epochs <= config.epochs) return 'finished';
  if (saved === undefined && (finished || historyEpochs > 0)) {
    // Epochs were trained, but their checkpoint is gone: training again from scratch would replace them silently.
    throw new UsageError(
      `${join(outDir, CHECKPOINT_DIR)} is missing, but ${outDir} has trained ${historyEpochs} epoch${historyEpochs === 1 ? '' : 's'}: there is nothing to continue from. ` +
        'Restore the checkpoint folder, or start a new run',
    );
  }
  if (epochs !== config.epochs) {
    config.epochs = epochs;
    await writeRunConfig(outDir, config);
  }
  // Training on past the end: the run is no longer finished until its new final save.
  if (finished) await rm(join(outDir, METRICS_JSON), { force: true });
  return 'train';
}

async function readHistoryEpochs(outDir: string): Promise<number> {
  try {
    const history = JSON.parse(await readFile(join(outDir, HISTORY_JSON), 'utf8')) as { epoch?: unknown };
    return Array.isArray(history.epoch) ? history.epoch.length : 0;
  } catch {
    return 0;
  }
}

async function finishedMessage(outDir: string, config: RunConfig): Promise<string> {
  const metrics = await readFile(join(outDir, METRICS_JSON), 'utf8').then(
    (text) => JSON.parse(text) as Record<string, number>,
    () => undefined,
  );
  const result = metrics !== undefined && typeof metrics === 'object' ? ` (test ${formatMetrics(metrics)})` : '';
  return `${outDir} is finished: ${config.epochs} of ${config.epochs} epochs trained${result}; nothing to resume. To train it longer, pass --epochs N with N > ${config.epochs}`;
}

/** What a signal leaves: the run's state and how to continue it. */
function describeState(run: Run | undefined, epochsDone: number, finished: boolean, phase: string): string {
  if (run === undefined) return 'no run folder was written; nothing to resume.';
  const { outDir, config } = run;
  if (finished) return `the run is complete and saved in ${outDir}.`;
  const resume = `continue with: dl train --resume ${outDir}`;
  if (epochsDone >= config.epochs)
    return `all ${config.epochs} epochs are checkpointed; the ${phase === 'save' ? 'final save' : 'evaluation and final save'} remain: ${resume}`;
  if (epochsDone === 0) return `no epoch has finished yet (the run is recorded in ${join(outDir, RUN_JSON)}): ${resume}`;
  return `${epochsDone} of ${config.epochs} epochs are checkpointed in ${join(outDir, CHECKPOINT_DIR)}: ${resume}`;
}

/** One line on the privacy a DP run spent. */
export function formatPrivacy(p: Record<string, unknown>): string {
  const n = (key: string) => Number(p[key]);
  return `Privacy: (ε = ${n('epsilon').toFixed(3)}, δ = ${n('delta')})-DP after ${n('steps')} steps (noise multiplier ${+n('noiseMultiplier').toPrecision(4)}, clip ${n('l2NormClip')}, Poisson sampling rate ${+n('samplingRate').toPrecision(4)})`;
}

export function formatMetrics(metrics: Record<string, unknown>): string {
  return Object.entries(metrics)
    .filter(([, v]) => typeof v !== 'object')
    .map(([k, v]) => `${k}: ${typeof v === 'number' ? v.toFixed(4) : String(v)}`)
    .join(' - ');
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}
