// Off the native backend FlatAdam runs its update as tfjs ops, with tfjs's Adam's results.
// (A file of its own: it switches the process's backend.)
import type { Tensor } from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { tf } from '../src/index.js';
import { FlatAdam } from '../src/flat-adam.js';

afterAll(async () => {
  await tf.setBackend('tensorflow');
});

describe('FlatAdam on the cpu backend', () => {
  it("matches tfjs's Adam within 1e-6 relative and saves tfjs's weights", async () => {
    expect(await tf.setBackend('cpu')).toBe(true);
    const shapes = [[3, 4], [4], [2, 2, 3]];
    const make = () => shapes.map((s, i) => tf.variable(tf.randomNormal(s, 0, 1, 'float32', 20 + i)));
    const [ours, theirs] = [make(), make()];
    const [flat, reference] = [new FlatAdam(0.05, 0.9, 0.999, 1e-7), tf.train.adam(0.05, 0.9, 0.999, 1e-7)];
    for (let step = 0; step < 6; step++) {
      const grads = shapes.map((s, i) => tf.randomNormal(s, 0, 1 + i, 'float32', 500 + 10 * step + i));
      flat.applyGradients(ours.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
      reference.applyGradients(theirs.map((v, i) => ({ name: v.name, tensor: grads[i]! })));
      tf.dispose(grads);
    }
    const rel = (a: Tensor, b: Tensor) => tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(a, b)), tf.maximum(tf.abs(b), 1))).dataSync()[0]!);
    for (const [i, v] of ours.entries()) expect(rel(v, theirs[i]!)).toBeLessThan(1e-6);
    const [w, r] = [await flat.getWeights(), await reference.getWeights()];
    expect(w.map((x) => x.tensor.shape)).toEqual(r.map((x) => x.tensor.shape));
    for (const [i, x] of w.entries()) expect(rel(x.tensor, r[i]!.tensor)).toBeLessThan(1e-6);
    flat.dispose();
    reference.dispose();
  });
});
