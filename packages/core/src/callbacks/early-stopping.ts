import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { Callback, type Logs } from './callback.js';
import { improves, resolveMode, warnMissingMonitor, type MonitorMode } from './monitor.js';
import { OptionError } from '../errors/option-error.js';

export interface EarlyStoppingOptions {
  /** The epoch log value to watch, e.g. `'val_loss'` or `'accuracy'`. Default `'val_loss'`. */
  monitor?: string;
  /** Smallest change that counts as an improvement; its sign is ignored. Default 0. */
  minDelta?: number;
  /** Epochs without improvement after which training stops. Default 0: stop at the first epoch that does not improve. */
  patience?: number;
  /** `'min'`, `'max'`, or `'auto'`: maximise when the name contains `acc` (accuracy), else minimise. Default `'auto'`. */
  mode?: MonitorMode;
  /**
   * A value the monitor must beat. Until an epoch beats both it and the best so far, the patience keeps running out, so
   * training stops `patience` epochs in if the baseline is never reached. Default none.
   */
  baseline?: number;
  /**
   * Keep a copy of the weights of the best epoch and put them back in the model when training ends (with Keras 3,
   * whether or not training stopped early). When no epoch was monitored, the weights are left as they are. Default false.
   */
  restoreBestWeights?: boolean;
  /** Epochs to let pass (a warm-up) before watching the monitor; counts from 0 like `epoch`. Default 0. */
  startFromEpoch?: number;
  /** 1 prints when it stops and when it restores weights. Default 0. */
  verbose?: 0 | 1;
}

/**
 * Stops training when a monitored value has stopped improving, as Keras's EarlyStopping: at the end of each epoch it
 * compares the monitor to the best value so far, and after `patience` epochs without an improvement of at least
 * `minDelta` it sets `model.stopTraining`, which `fit` checks after the epoch. With `restoreBestWeights`, the model
 * ends with the weights of its best epoch.
 *
 * @example
 * ```ts
 * // Stop once the validation loss has not improved for 3 epochs, and keep the best weights.
 * const stop = new EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
 * await model.fit(x, y, { epochs: 100, callbacks: [stop] });
 * stop.stoppedEpoch; // the epoch it stopped at (from 0), or 0 if it ran to the end
 * ```
 */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly verbose: 0 | 1;

  /** Epochs since the last improvement. */
  wait = 0;
  /** The epoch at which training was stopped, or 0 if it was not. */
  stoppedEpoch = 0;
  /** The best monitored value of the current run. */
  best = Infinity;
  /** The epoch of `best`. */
  bestEpoch = 0;
  private bestWeights: Tensor[] | undefined;
  private warned = false;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(options.minDelta ?? 0);
    this.patience = options.patience ?? 0;
    this.mode = resolveMode(this.monitor, options.mode, 'EarlyStopping');
    this.baseline = options.baseline;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.startFromEpoch = options.startFromEpoch ?? 0;
    this.verbose = options.verbose ?? 0;
    checkCount(this.patience, 'EarlyStopping: patience');
    checkCount(this.startFromEpoch, 'EarlyStopping: startFromEpoch');
  }

  override onTrainBegin(): void {
    // Reset, so an instance can be reused across fits.
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.bestEpoch = 0;
    this.warned = false;
    this.dropBestWeights();
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const current = logs[this.monitor];
    if (current === undefined) {
      if (!this.warned) warnMissingMonitor('EarlyStopping', this.monitor, logs);
      this.warned = true;
      return;
    }
    if (epoch < this.startFromEpoch) return;
    // Until an epoch improves, the first monitored epoch's weights count as the best.
    if (this.restoreBestWeights && !this.bestWeights) this.keepBestWeights(epoch);
    this.wait += 1;
    if (improves(current, this.best, this.mode, this.minDelta)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.keepBestWeights(epoch);
      // The patience starts over only when the epoch beats both the best so far and the baseline.
      if (this.baseline === undefined || improves(current, this.baseline, this.mode, this.minDelta)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model.stopTraining = true;
    }
  }

  /** Also runs when `fit` fails: the kept weights are then restored too, and always released. */
  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) process.stdout.write(`Epoch ${this.stoppedEpoch + 1}: early stopping\n`);
    if (this.restoreBestWeights && this.bestWeights) {
      if (this.verbose > 0) process.stdout.write(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.\n`);
      this.model.net.setWeights(this.bestWeights);
    }
    this.dropBestWeights();
  }

  private keepBestWeights(epoch: number): void {
    this.dropBestWeights();
    // getWeights returns the variables themselves, which training keeps changing: keep copies.
    this.bestWeights = this.model.net.getWeights().map((w) => tf.keep(tf.clone(w)));
    this.bestEpoch = epoch;
  }

  private dropBestWeights(): void {
    if (this.bestWeights) tf.dispose(this.bestWeights);
    this.bestWeights = undefined;
  }
}

function checkCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) throw new OptionError(`${name} must be a whole number ≥ 0, got ${value}`);
}
