/**
 * SIGINT (Ctrl-C) and SIGTERM (`kill`, `docker stop`, systemd, CI runners) during `dl train`, alike in every phase:
 *
 * - loading data, evaluating, or before training: nothing of the run is being written, so the work is abandoned at
 *   once (the checkpoint already on disk is what `--resume` continues from);
 * - training: it stops after the current batch (an epoch's checkpoint being written is finished first; the epoch cut
 *   short is redone on resume);
 * - the final save: it is finished first (a matter of seconds), so the run ends complete.
 *
 * Either way the process leaves no temp file, releases the run folder's lock, says what state the run is in and how
 * to continue it, and exits with 128 + the signal's number: 130 for SIGINT, 143 for SIGTERM. A second signal quits at
 * once (still removing temp files; a write it cuts short leaves the previous file whole).
 */
import { constants } from 'node:os';
import { Callback } from '@dl/core';

export type RunPhase = 'setup' | 'load' | 'train' | 'evaluate' | 'save';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface RunSignalsOptions {
  /** Ends training after the current batch (sets model.stopTraining). */
  stopTraining(): void;
  /** Removes temp files and releases the lock, synchronously: the process exits right after. */
  cleanUpNow(): void;
  /** The line saying what state the run is in and how to continue it. */
  describeState(): string;
  /** Where messages go (stderr). */
  write(text: string): void;
}

export class RunSignals {
  phase: RunPhase = 'setup';
  /** The first signal received, if any. */
  received: NodeJS.Signals | undefined;
  private readonly handler = (signal: NodeJS.Signals) => this.onSignal(signal);
  private wake: (() => void) | undefined;

  constructor(private readonly options: RunSignalsOptions) {
    for (const signal of SIGNALS) process.on(signal, this.handler);
  }

  /** The exit code for the signal received: 128 + its number. */
  get exitCode(): number {
    return 128 + (this.received === undefined ? 0 : constants.signals[this.received]);
  }

  /**
   * Enters `phase`. With `DL_PAUSE_AT_PHASE=<phase>` in the environment (for tests of this module's promises), it
   * first says so on stderr and waits there for a signal, so that a test can land one in any phase.
   */
  async enter(phase: RunPhase): Promise<void> {
    this.phase = phase;
    if (process.env['DL_PAUSE_AT_PHASE'] !== phase || this.received !== undefined) return;
    this.options.write(`paused at ${phase} (DL_PAUSE_AT_PHASE)\n`);
    // A timer keeps the process alive while it waits (a pending promise alone does not).
    const keepAlive = setInterval(() => {}, 60_000);
    await new Promise<void>((resolve) => (this.wake = resolve));
    clearInterval(keepAlive);
  }

  /** For `fit`'s callbacks: ends training after the current batch once a signal has come, even before `fit` began. */
  callback(): Callback {
    const signals = this;
    return new (class StopOnSignal extends Callback {
      override onTrainBegin(): void {
        if (signals.received !== undefined) this.model.stopTraining = true;
      }
      override onTrainBatchEnd(): void {
        if (signals.received !== undefined) this.model.stopTraining = true;
      }
    })();
  }

  dispose(): void {
    for (const signal of SIGNALS) process.off(signal, this.handler);
  }

  /** Called where a deferred signal takes effect (after training stopped, after the final save): exits if one came. */
  exitIfReceived(): void {
    if (this.received === undefined) return;
    this.exit();
  }

  private onSignal(signal: NodeJS.Signals): void {
    if (this.received !== undefined) {
      this.options.write(`\n${signal} again: quitting now.\n`);
      this.exit();
    }
    this.received = signal;
    const again = signal === 'SIGINT' ? 'Ctrl-C' : signal;
    if (this.phase === 'train') {
      this.options.stopTraining();
      this.options.write(`\n${signal}: stopping after this batch (${again} again to quit now).\n`);
    } else if (this.phase === 'save') {
      this.options.write(`\n${signal}: finishing the final save first (${again} again to quit now).\n`);
    } else {
      this.exit();
    }
    this.wake?.();
  }

  private exit(): never {
    this.options.cleanUpNow();
    this.options.write(`${this.received ?? 'signal'}: ${this.options.describeState()}\n`);
    process.exit(this.exitCode);
  }
}
