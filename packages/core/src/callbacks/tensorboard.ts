import { setupCommand } from '@dl/native';
import { makeFolderSync } from '../make-folder.js';
import { join, resolve } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import { backendInfo, tf } from '../backend.js';
import { getLearningRate } from '../optimizers.js';
import { Callback, type Logs } from './callback.js';
import { NativeError } from '../errors/native-error.js';
import { OptionError } from '../errors/option-error.js';

export interface TensorBoardOptions {
  /** Folder for the event files: training values go to `logDir/train`, validation ones to `logDir/validation`. */
  logDir: string;
  /**
   * `'epoch'` writes the epoch values only; `'batch'` also writes every batch's values as `batch_<name>`; a number N
   * writes them every N batches. Default `'epoch'`.
   */
  updateFreq?: 'epoch' | 'batch' | number;
  /** Every this many epochs, write a histogram of each weight (`<weight name>/histogram`); 0 never. Default 0. */
  histogramFreq?: number;
}

/** The part of tfjs-node's `SummaryFileWriter` used here. */
interface SummaryWriter {
  scalar(name: string, value: number, step: number): void;
  histogram(name: string, data: Tensor, step: number): void;
  flush(): void;
}

/**
 * Writes training curves for TensorBoard, as Keras's TensorBoard: at each epoch's end, the training values as
 * `epoch_loss`, `epoch_accuracy`, `epoch_learning_rate`, … into `logDir/train`, and the `val_` values without their
 * prefix (`epoch_loss`, …) into `logDir/validation`, at step = epoch (from 0); the files are flushed at every epoch's
 * end. Needs the native TensorFlow backend (@tensorflow/tfjs-node), whose summary writer it uses: constructing it on
 * the pure-JS fallback throws.
 *
 * @example
 * ```ts
 * await model.fit(x, y, { epochs: 10, callbacks: [new TensorBoard({ logDir: 'runs/exp1' })] });
 * // then: tensorboard --logdir runs
 * ```
 */
export class TensorBoard extends Callback {
  readonly logDir: string;
  readonly updateFreq: 'epoch' | number;
  readonly histogramFreq: number;
  private readonly createWriter: (dir: string) => SummaryWriter;
  private trainWriter: SummaryWriter | undefined;
  private validationWriter: SummaryWriter | undefined;
  /** Batches since training began, as Keras's global train batch: the step of batch values, from 1. */
  private globalBatch = 0;

  constructor(options: TensorBoardOptions) {
    super();
    if (typeof options?.logDir !== 'string' || options.logDir === '')
      throw new OptionError('TensorBoard: logDir must be a non-empty string');
    this.logDir = resolve(options.logDir);
    const updateFreq = options.updateFreq ?? 'epoch';
    this.updateFreq = updateFreq === 'batch' ? 1 : updateFreq;
    this.histogramFreq = options.histogramFreq ?? 0;
    if (this.updateFreq !== 'epoch' && !(Number.isInteger(this.updateFreq) && this.updateFreq > 0)) {
      throw new OptionError(
        `TensorBoard: updateFreq must be 'epoch', 'batch' or a positive whole number of batches, got ${String(updateFreq)}`,
      );
    }
    if (!Number.isInteger(this.histogramFreq) || this.histogramFreq < 0) {
      throw new OptionError(`TensorBoard: histogramFreq must be a whole number ≥ 0, got ${this.histogramFreq}`);
    }
    const node = (tf as unknown as { node?: { summaryFileWriter?: (dir: string) => SummaryWriter } }).node;
    const info = backendInfo();
    if (info.backend !== 'tensorflow' || typeof node?.summaryFileWriter !== 'function') {
      throw new NativeError(
        'TensorBoard needs the native TensorFlow backend (@tensorflow/tfjs-node), whose summary writer writes the event files; ' +
          `dl is running on the pure-JS '${info.backend}' backend${info.reason ? ` (${info.reason})` : ''}. Build the native addon: ${setupCommand()}`,
      );
    }
    const summaryFileWriter = node.summaryFileWriter;
    this.createWriter = (dir) => {
      makeFolderSync(dir);
      return summaryFileWriter(dir);
    };
  }

  override onTrainBegin(): void {
    this.globalBatch = 0;
  }

  override onTrainBatchBegin(): void {
    this.globalBatch += 1;
  }

  override onTrainBatchEnd(_batch: number, logs: Logs): void {
    if (this.updateFreq === 'epoch' || this.globalBatch % this.updateFreq !== 0) return;
    const writer = this.train();
    for (const [name, value] of Object.entries(logs)) {
      if (name !== 'batch' && name !== 'size') writer.scalar(`batch_${name}`, value, this.globalBatch);
    }
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const train: Logs = {};
    const validation: Logs = {};
    for (const [name, value] of Object.entries(logs)) {
      if (name.startsWith('val_')) validation[name.slice(4)] = value;
      else if (name !== 'learningRate') train[name] = value;
    }
    train.learning_rate = logs.learningRate ?? getLearningRate(this.model.optimizer);
    const writer = this.train();
    for (const [name, value] of Object.entries(train)) writer.scalar(`epoch_${name}`, value, epoch);
    if (Object.keys(validation).length > 0) {
      this.validationWriter ??= this.createWriter(join(this.logDir, 'validation'));
      for (const [name, value] of Object.entries(validation)) this.validationWriter.scalar(`epoch_${name}`, value, epoch);
      this.validationWriter.flush();
    }
    if (this.histogramFreq > 0 && epoch % this.histogramFreq === 0) {
      for (const layer of this.model.net.layers) {
        for (const weight of layer.weights) writer.histogram(`${weight.name.replaceAll(':', '_')}/histogram`, weight.read(), epoch);
      }
    }
    writer.flush();
  }

  /** Also runs when `fit` fails, so what was written reaches the disk. */
  override onTrainEnd(): void {
    this.trainWriter?.flush();
    this.validationWriter?.flush();
  }

  private train(): SummaryWriter {
    return (this.trainWriter ??= this.createWriter(join(this.logDir, 'train')));
  }
}
