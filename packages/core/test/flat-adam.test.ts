// dl's flat Adam (one update over all variables) against tfjs's per-variable AdamOptimizer.
import type { NamedTensorMap, Optimizer, Tensor, Variable } from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { getOptimizer, tf } from '../src/index.js';
import { FlatAdam } from '../src/flat-adam.js';

const SHAPES = [[3, 3, 2, 4], [4], [], [5, 6], [6], [1]];

/** Fresh variables of SHAPES with the same seeded values; names made unique per call by tfjs. */
function variables(): Variable[] {
  return SHAPES.map((shape, i) => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 10 + i)));
}

/** Seeded gradients for step `step`, as a list in the variables' order (tfjs takes seed 0 as "no seed"). */
function gradients(vars: Variable[], step: number): Array<{ name: string; tensor: Tensor }> {
  return vars.map((v, i) => ({ name: v.name, tensor: tf.randomNormal(v.shape, 0, 1 + i, 'float32', 1000 + 100 * step + i) }));
}

function maxAbsDiff(a: Tensor[], b: Tensor[]): number {
  return Math.max(...a.map((t, i) => tf.tidy(() => tf.max(tf.abs(tf.sub(t, b[i]!))).dataSync()[0]!)));
}

/** Largest difference relative to the reference's magnitude (at least 1): float32 rounding grows with the values. */
function maxRelativeDiff(a: Tensor[], b: Tensor[]): number {
  return Math.max(...a.map((t, i) => tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(t, b[i]!)), tf.maximum(tf.abs(b[i]!), 1))).dataSync()[0]!)));
}

function train(optimizer: Optimizer, vars: Variable[], from: number, to: number): void {
  for (let step = from; step < to; step++) {
    const grads = gradients(vars, step);
    optimizer.applyGradients(grads);
    tf.dispose(grads.map((g) => g.tensor));
  }
}

describe('FlatAdam', () => {
  it("is what getOptimizer('adam') builds, under tfjs's class name and config", () => {
    const adam = getOptimizer({ name: 'adam', learningRate: 0.01, beta1: 0.8 });
    expect(adam).toBeInstanceOf(FlatAdam);
    expect(adam.getClassName()).toBe('Adam');
    expect(adam.getConfig()).toEqual(tf.train.adam(0.01, 0.8, 0.999, 1e-7).getConfig());
    adam.dispose();
  });

  it("matches tfjs's Adam over several steps, with a learning-rate change, within 1e-6 relative", async () => {
    const [ours, theirs] = [variables(), variables()];
    const flat = new FlatAdam(0.05, 0.9, 0.999, 1e-7);
    const reference = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
    train(flat, ours, 0, 4);
    train(reference, theirs, 0, 4);
    for (const o of [flat, reference]) (o as unknown as { learningRate: number }).learningRate = 0.01;
    train(flat, ours, 4, 8);
    train(reference, theirs, 4, 8);
    expect(maxRelativeDiff(ours, theirs)).toBeLessThan(1e-6);
    expect(maxAbsDiff(ours, variables())).toBeGreaterThan(0.05); // they did move

    const [w, r] = [await flat.getWeights(), await reference.getWeights()];
    expect(w.map((x) => x.name)).toEqual(['iter', ...ours.map((v) => `${v.name}/m`), ...ours.map((v) => `${v.name}/v`)]);
    expect(w.map((x) => x.tensor.shape)).toEqual(r.map((x) => x.tensor.shape));
    expect(w[0]!.tensor.dataSync()[0]).toBe(8);
    expect(
      maxRelativeDiff(
        w.map((x) => x.tensor),
        r.map((x) => x.tensor),
      ),
    ).toBeLessThan(1e-6);
    tf.dispose([...ours, ...theirs, ...w.map((x) => x.tensor), r[0]!.tensor]);
    flat.dispose();
    reference.dispose();
  });

  it("resumes from tfjs Adam's saved weights, and tfjs's Adam from its own, by position", async () => {
    const [ours, theirs] = [variables(), variables()];
    const reference = tf.train.adam(0.02);
    train(reference, theirs, 0, 3);
    for (const [i, v] of ours.entries()) v.assign(theirs[i]!);
    const saved = await reference.getWeights();

    // Loaded into new variables (other names, as in another model instance): matched by position.
    const flat = new FlatAdam(0.02, 0.9, 0.999, 1e-7);
    await flat.setWeights(saved);
    train(flat, ours, 3, 6);
    train(reference, theirs, 3, 6);
    expect(maxRelativeDiff(ours, theirs)).toBeLessThan(1e-6);

    const back = tf.train.adam(0.02);
    await back.setWeights(await flat.getWeights());
    const [ours2, theirs2] = [ours.map((v) => tf.variable(v)), theirs.map((v) => tf.variable(v))];
    train(back, ours2, 6, 8);
    train(reference, theirs2, 6, 8);
    expect(maxRelativeDiff(ours2, theirs2)).toBeLessThan(1e-6);
    tf.dispose([...ours, ...theirs, ...ours2, ...theirs2, saved[0]!.tensor]);
    [flat, reference, back].forEach((o) => o.dispose());
  });

  it('gives large variables resources of their own, with the same updates and saved weights', async () => {
    const [ours, theirs] = [variables(), variables()];
    // [3, 3, 2, 4] and [5, 6] alone, the rest together (on the native backend; elsewhere one flat vector).
    const flat = new FlatAdam(0.05, 0.9, 0.999, 1e-7, { ownSlotsFrom: 30 });
    const reference = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
    train(flat, ours, 0, 3);
    train(reference, theirs, 0, 3);
    const slots = (flat as unknown as { slots?: unknown[] }).slots;
    if (tf.getBackend() === 'tensorflow') expect(slots).toHaveLength(3);
    else expect(slots).toBeUndefined();
    // Saved and loaded back (by position): the moments come out of each variable's own resources in order.
    const saved = await flat.getWeights();
    expect(
      maxRelativeDiff(
        saved.map((w) => w.tensor),
        (await reference.getWeights()).map((w) => w.tensor),
      ),
    ).toBeLessThan(1e-6);
    const again = new FlatAdam(0.05, 0.9, 0.999, 1e-7, { ownSlotsFrom: 30 });
    await again.setWeights(saved);
    train(again, ours, 3, 6);
    train(reference, theirs, 3, 6);
    expect(maxRelativeDiff(ours, theirs)).toBeLessThan(1e-6);
    tf.dispose([...ours, ...theirs, ...saved.map((w) => w.tensor)]);
    [flat, again, reference].forEach((o) => o.dispose());
  });

  it("updates an embedding densely, as Keras 3's Adam does: rows the batch left out keep moving on their moments", () => {
    // Keras 3 (TensorFlow) makes an Embedding's IndexedSlices gradient dense before Adam: rows a step does not touch
    // have their m and v decayed and move by m̂ / (√v̂ + ε) (checked against Keras 3.15).
    const table = () => tf.variable(tf.randomNormal([50, 4], 0, 1, 'float32', 7));
    const [ours, theirs] = [[table()], [table()]];
    const flat = new FlatAdam(0.1, 0.9, 0.999, 1e-7, { ownSlotsFrom: 100 });
    const reference = tf.train.adam(0.1, 0.9, 0.999, 1e-7);
    // The gradient of a gather of rows `rows`: zero elsewhere.
    const rowsGradient = (rows: number[]) =>
      tf.tidy(() => tf.unsortedSegmentSum(tf.ones([rows.length, 4]), tf.tensor1d(rows, 'int32'), 50));
    const step = (optimizer: Optimizer, v: Variable, rows: number[]) => {
      const g = rowsGradient(rows);
      optimizer.applyGradients([{ name: v.name, tensor: g }]);
      g.dispose();
    };
    step(flat, ours[0]!, [0, 1, 1, 2]);
    step(reference, theirs[0]!, [0, 1, 1, 2]);
    const afterFirst = tf.clone(ours[0]!);
    step(flat, ours[0]!, [3, 4]);
    step(reference, theirs[0]!, [3, 4]);
    expect(maxRelativeDiff(ours, theirs)).toBeLessThan(1e-6);
    // Rows 0–2, untouched by the second step, moved in it; rows never touched did not.
    const moved = tf.tidy(() => tf.abs(tf.sub(ours[0]!, afterFirst)).max(1).arraySync() as number[]);
    expect(Math.min(...moved.slice(0, 3))).toBeGreaterThan(0.01);
    expect(Math.max(...moved.slice(5))).toBe(0);
    tf.dispose([...ours, ...theirs, afterFirst]);
    [flat, reference].forEach((o) => o.dispose());
  });

  it('runs a fraction of the kernels', async () => {
    const vars = variables();
    const count = async (optimizer: Optimizer) => {
      train(optimizer, vars, 0, 1); // creates the moments
      const grads = gradients(vars, 1);
      const profile = await tf.profile(() => optimizer.applyGradients(grads as unknown as NamedTensorMap));
      tf.dispose(grads.map((g) => g.tensor));
      return profile.kernels.length;
    };
    const [flat, reference] = [new FlatAdam(0.01, 0.9, 0.999, 1e-7), tf.train.adam(0.01)];
    const [ours, theirs] = [await count(flat), await count(reference)];
    expect(theirs).toBeGreaterThanOrEqual(14 * SHAPES.length);
    expect(ours).toBeLessThanOrEqual(12 + 2 * SHAPES.length + 6);
    tf.dispose(vars);
    [flat, reference].forEach((o) => o.dispose());
  });

  it('keeps the tensor count constant across steps, saves and loads', async () => {
    const vars = variables();
    const flat = new FlatAdam(0.01, 0.9, 0.999, 1e-7);
    train(flat, vars, 0, 2);
    const before = tf.memory().numTensors;
    train(flat, vars, 2, 4);
    const saved = await flat.getWeights();
    await flat.setWeights(saved);
    tf.dispose(saved.map((s) => s.tensor));
    train(flat, vars, 4, 6);
    expect(tf.memory().numTensors).toBe(before);
    flat.dispose();
    tf.dispose(vars);
  });
});
