import { getLearningRate, setLearningRate } from '../optimizers.js';
import { Callback, type Logs } from './callback.js';
import { resolveMode, warnMissingMonitor, type MonitorMode } from './monitor.js';
import { OptionError } from '../errors/option-error.js';

export interface ReduceLROnPlateauOptions {
  /** The epoch log value to watch. Default `'val_loss'`. */
  monitor?: string;
  /** The learning rate is multiplied by this when reduced; must be below 1. Default 0.1. */
  factor?: number;
  /** Epochs without improvement after which the learning rate is reduced. Default 10. */
  patience?: number;
  /** `'min'`, `'max'`, or `'auto'`: maximise when the monitor's name contains `acc`, else minimise. Default `'auto'`. */
  mode?: MonitorMode;
  /** Smallest change that counts as an improvement. Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting epochs without improvement again. Default 0. */
  cooldown?: number;
  /** The learning rate is never reduced below this. Default 0. */
  minLr?: number;
  /** 1 prints a line when it reduces the learning rate. Default 0. */
  verbose?: 0 | 1;
}

/**
 * Reduces the learning rate when a monitored value has stopped improving, as Keras's ReduceLROnPlateau: after
 * `patience` epochs without an improvement of more than `minDelta`, the optimizer's learning rate is multiplied by
 * `factor` (not below `minLr`), then `cooldown` epochs pass before the count starts again. Each epoch's logs get the
 * learning rate of that epoch as `learningRate` (before any reduction made at its end).
 *
 * @example
 * ```ts
 * // Divide the learning rate by 5 whenever the validation loss stalls for 3 epochs, down to 1e-5.
 * const plateau = new ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.2, patience: 3, minLr: 1e-5 });
 * await model.fit(x, y, { epochs: 50, callbacks: [plateau] });
 * ```
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: 'min' | 'max';
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: 0 | 1;

  /** The best monitored value of the current run. */
  best = Infinity;
  /** Epochs without improvement, outside cooldown. */
  wait = 0;
  /** Epochs of cooldown left. */
  cooldownCounter = 0;
  private warned = false;

  constructor(options: ReduceLROnPlateauOptions = {}) {
    super();
    this.monitor = options.monitor ?? 'val_loss';
    this.factor = options.factor ?? 0.1;
    this.patience = options.patience ?? 10;
    this.mode = resolveMode(this.monitor, options.mode, 'ReduceLROnPlateau');
    this.minDelta = options.minDelta ?? 1e-4;
    this.cooldown = options.cooldown ?? 0;
    this.minLr = options.minLr ?? 0;
    this.verbose = options.verbose ?? 0;
    if (!(this.factor >= 0 && this.factor < 1))
      throw new OptionError(`ReduceLROnPlateau does not support a factor outside [0, 1), got ${this.factor}`);
    for (const [name, value] of [
      ['patience', this.patience],
      ['cooldown', this.cooldown],
    ] as const) {
      if (!Number.isInteger(value) || value < 0)
        throw new OptionError(`ReduceLROnPlateau: ${name} must be a whole number ≥ 0, got ${value}`);
    }
    if (!(this.minLr >= 0)) throw new OptionError(`ReduceLROnPlateau: minLr must be ≥ 0, got ${this.minLr}`);
  }

  override onTrainBegin(): void {
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    this.wait = 0;
    this.cooldownCounter = 0;
    this.warned = false;
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    const optimizer = this.model.optimizer;
    const lr = getLearningRate(optimizer);
    logs.learningRate = lr;
    const current = logs[this.monitor];
    if (current === undefined) {
      if (!this.warned) warnMissingMonitor('ReduceLROnPlateau', this.monitor, logs);
      this.warned = true;
      return;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    const better = this.mode === 'min' ? current < this.best - this.minDelta : current > this.best + this.minDelta;
    if (better) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience && lr > this.minLr) {
        const newLr = Math.max(lr * this.factor, this.minLr);
        // Every optimizer of the model (a GAN has two) by the same factor.
        for (const each of this.model.optimizers) setLearningRate(each, Math.max(getLearningRate(each) * this.factor, this.minLr));
        if (this.verbose > 0) process.stdout.write(`Epoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.\n`);
        this.cooldownCounter = this.cooldown;
        this.wait = 0;
      }
    }
  }
}
