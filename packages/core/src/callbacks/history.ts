import { Callback, type Logs } from './callback.js';

/** Keras's History layout as JSON, plus the wall time of each epoch. */
export interface HistoryJson {
  epoch: number[];
  history: Record<string, number[]>;
  epochSeconds: number[];
}

/** Records each epoch's logs; `fit` returns it, as Keras's `model.fit` returns its History. */
export class History extends Callback {
  epoch: number[] = [];
  history: Record<string, number[]> = {};
  /** Wall time of each epoch in seconds, callbacks included. */
  epochSeconds: number[] = [];
  private epochStart = 0;

  override onEpochBegin(): void {
    this.epochStart = performance.now();
  }

  override onEpochEnd(epoch: number, logs: Logs): void {
    this.epochSeconds.push((performance.now() - this.epochStart) / 1000);
    this.epoch.push(epoch);
    for (const [name, value] of Object.entries(logs)) (this.history[name] ??= []).push(value);
  }

  toJSON(): HistoryJson {
    return { epoch: this.epoch, history: this.history, epochSeconds: this.epochSeconds };
  }
}
