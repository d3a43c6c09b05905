// The orthogonal initializer through TensorFlow's Qr kernel against tfjs's own (the LSTM's recurrent kernel default).
import { describe, expect, it } from 'vitest';
import { layers, tf } from '../src/index.js';
import { useNativeOrthogonal } from '../src/native/native-orthogonal.js';
import { tfl } from '../src/tfjs-layers-api.js';

describe('useNativeOrthogonal', () => {
  it("gives tfjs's seeded orthogonal matrices (to float32 rounding), wide and tall, with the gain", () => {
    for (const [shape, gain] of [
      [[64, 256], 1],
      [[40, 12], 2],
      [[3, 4, 5], 1],
    ] as Array<[number[], number]>) {
      const reference = tfl.initializers.orthogonal({ seed: 7, gain });
      const native = tfl.initializers.orthogonal({ seed: 7, gain });
      useNativeOrthogonal(native);
      expect(native.getClassName()).toBe('Orthogonal');
      expect(native.getConfig()).toEqual(reference.getConfig());
      const [a, b] = [native.apply(shape, 'float32'), reference.apply(shape, 'float32')];
      expect(a.shape).toEqual(shape);
      expect(tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!)).toBeLessThan(1e-5);
      tf.dispose([a, b]);
    }
  });

  it("is what an LSTM's recurrent kernel starts from, orthogonal", () => {
    const lstm = layers.lstm({ units: 16 });
    const init = (lstm as unknown as { cell: { recurrentInitializer: { apply: unknown } } }).cell.recurrentInitializer;
    // Replaced on the instance only (the native backend); tfjs's class keeps its own apply.
    if (tf.getBackend() === 'tensorflow') expect(Object.hasOwn(init, 'apply')).toBe(true);
    const w = (init as { apply(shape: number[]): ReturnType<typeof tf.zeros> }).apply([16, 64]);
    // Rows of a wide orthogonal matrix are orthonormal: W·Wᵀ = I.
    const gram = tf.matMul(w, w, false, true);
    expect(tf.tidy(() => tf.max(tf.abs(tf.sub(gram, tf.eye(16)))).dataSync()[0]!)).toBeLessThan(1e-5);
    tf.dispose([w, gram]);
  });
});
