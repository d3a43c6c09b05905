// A 20-epoch soak on a small model: no tensor is leaked and the process's memory stays flat after the second epoch.
import { describe, expect, it } from 'vitest';
import { Callback, EarlyStopping, ReduceLROnPlateau, TerminateOnNaN, setSeed, tf, type Logs } from '../src/index.js';
import { compiledClassifier, separable } from './helpers.js';

class MemoryProbe extends Callback {
  tensors: number[] = [];
  rss: number[] = [];
  override onEpochEnd(_epoch: number, _logs: Logs): void {
    this.tensors.push(tf.memory().numTensors);
    this.rss.push(process.memoryUsage().rss);
  }
}

describe('a 20-epoch soak', () => {
  it('keeps tf.memory().numTensors constant and RSS within 5% of its value after epoch 2', async () => {
    setSeed(20);
    const model = compiledClassifier(0.01, 32);
    const train = separable(1024, 20);
    const validation = separable(256, 21);
    const probe = new MemoryProbe();
    await model.fit(train.x, train.y, {
      epochs: 20,
      batchSize: 32,
      verbose: 0,
      validationData: [validation.x, validation.y],
      callbacks: [
        new EarlyStopping({ monitor: 'val_loss', patience: 100 }),
        new ReduceLROnPlateau({ patience: 100 }),
        new TerminateOnNaN(),
        probe,
      ],
    });
    expect(probe.tensors).toHaveLength(20);
    expect(new Set(probe.tensors.slice(1)).size).toBe(1);
    const reference = probe.rss[1]!;
    for (const rss of probe.rss.slice(2)) expect(Math.abs(rss - reference) / reference).toBeLessThan(0.05);
  });
});
