// On the pure-JS 'cpu' backend there is no fused kernel: layers.lstm runs tfjs's generic LSTM, with the same results.
// (A file of its own: it switches the process's backend.)
import type { Tensor } from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { layers, setSeed, tf } from '../src/index.js';
import type { FusedLSTM } from '../src/native/fused-lstm-layer.js';
import { fusedLstmAvailable } from '../src/native/fused-lstm.js';

afterAll(async () => {
  await tf.setBackend('tensorflow');
});

describe('layers.lstm off the native backend', () => {
  it('runs the generic LSTM on the cpu backend, matching the fused kernel on the native one', async () => {
    setSeed(1);
    const layer = layers.lstm({ units: 6, returnSequences: true }) as FusedLSTM;
    const x = tf.randomNormal([3, 5, 4]);
    const fused = layer.apply(x, { training: true }) as Tensor;
    expect([layer.fusedCalls, layer.genericCalls]).toEqual([1, 0]);
    const fusedValues = fused.dataSync().slice();
    const xValues = x.dataSync().slice();

    expect(await tf.setBackend('cpu')).toBe(true);
    expect(fusedLstmAvailable()).toBe(false);
    expect(layer.usesFusedKernel).toBe(false);
    expect(layer.fusedBlocker(true)).toMatch(/backend 'cpu'/);
    const generic = layer.apply(tf.tensor(xValues, [3, 5, 4]), { training: true }) as Tensor;
    expect([layer.fusedCalls, layer.genericCalls]).toEqual([1, 1]);
    const values = generic.dataSync();
    expect(values.length).toBe(fusedValues.length);
    const maxDiff = Math.max(...Array.from(values, (v, i) => Math.abs(v - fusedValues[i]!)));
    expect(maxDiff).toBeLessThan(1e-4);
  });
});
