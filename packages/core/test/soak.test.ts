// A 20-epoch soak on a small model: no tensor is leaked and the process's memory stays flat after the second epoch.
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { Callback, EarlyStopping, ReduceLROnPlateau, TerminateOnNaN, setSeed, tf, type Logs } from '../src/index.js';
import { compiledClassifier, separable } from './helpers.js';

// RSS is read after a full garbage collection: V8 otherwise grows its heap lazily with garbage not yet collected
// (~0.1 MB an epoch here, heapTotal 63 → 78 MB over 150 epochs while the live heap stays at 33 MB), which put this
// check at 4.5–4.9% of its 5% bound with no leak at all. The flag can be set at run time; `gc` is then global.
v8.setFlagsFromString('--expose-gc');
const collectGarbage = vm.runInNewContext('gc') as () => void;

class MemoryProbe extends Callback {
  tensors: number[] = [];
  rss: number[] = [];
  override onEpochEnd(_epoch: number, _logs: Logs): void {
    this.tensors.push(tf.memory().numTensors);
    collectGarbage();
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
    const drift = Math.max(...probe.rss.slice(2).map((rss) => Math.abs(rss - reference) / reference));
    expect(drift).toBeLessThan(0.05);
  });
});
