// dl's GRU with Keras's reset_after=True (Keras 3's default; tfjs computes only reset_after=False): the step against
// the formula, gradients against finite differences, graph training against eager training, and saving/loading.
// Against Keras itself: keras-import.test.ts (fixtures written by Keras 3).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Scalar, Tensor, Tensor2D, Tensor3D, Variable } from '@tensorflow/tfjs';
import { unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layers, loadModel, type Model, sequential, setSeed, tf, type GraphFunction } from '../src/index.js';
import { ResetAfterGRU } from '../src/native/reset-after-gru-layer.js';
import { layersModelOf, tfl } from '../src/tfjs-layers-api.js';
import { maxAbsDiff } from './helpers.js';

const [BATCH, STEPS, INPUT, UNITS] = [3, 4, 2, 5];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dl-gru-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Keras 3's reset_after step (gru.py), written out: the reference the layer must compute. */
function reference(x: Tensor3D, kernel: Tensor2D, recurrentKernel: Tensor2D, bias: Tensor2D): Tensor2D {
  return tf.tidy(() => {
    const [inputBias, recurrentBias] = tf.unstack(bias);
    let h = tf.zeros([x.shape[0], UNITS]) as Tensor2D;
    for (const xt of tf.unstack(x, 1)) {
      const [xz, xr, xh] = tf.split(tf.add(tf.matMul(xt as Tensor2D, kernel), inputBias!), 3, 1);
      const [hz, hr, hh] = tf.split(tf.add(tf.matMul(h, recurrentKernel), recurrentBias!), 3, 1);
      const z = tf.sigmoid(tf.add(xz!, hz!));
      const r = tf.sigmoid(tf.add(xr!, hr!));
      const candidate = tf.tanh(tf.add(xh!, tf.mul(r, hh!)));
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), candidate)) as Tensor2D;
    }
    return h;
  });
}

function gruModel(options: { goBackwards?: boolean; dropout?: number; recurrentDropout?: number } = {}): Model {
  return sequential([layers.gru({ units: UNITS, resetAfter: true, inputShape: [STEPS, INPUT], ...options })]);
}

describe('GRU with resetAfter (Keras reset_after=True)', () => {
  it("has Keras's variables: kernel, recurrent kernel, and a [2, 3·units] bias (input row, recurrent row)", () => {
    const model = gruModel();
    expect(model.net.getWeights().map((w) => w.shape)).toEqual([
      [INPUT, 3 * UNITS],
      [UNITS, 3 * UNITS],
      [2, 3 * UNITS],
    ]);
    expect(model.net.countParams()).toBe(3 * UNITS * (INPUT + UNITS + 2)); // Keras's count for reset_after=True
    const config = (model.net.layers[0] as unknown as { getConfig(): Record<string, unknown> }).getConfig();
    expect(config).toMatchObject({ resetAfter: true, recurrentActivation: 'sigmoid' });
    model.net.dispose();
  });

  it('computes the reset_after step, forwards and backwards, and differs from reset_after=False with the same weights', () => {
    const model = gruModel();
    const x = tf.randomNormal([BATCH, STEPS, INPUT], 0, 1, 'float32', 1) as Tensor3D;
    const bias = tf.randomNormal([2, 3 * UNITS], 0, 0.5, 'float32', 2) as Tensor2D;
    const [kernel, recurrentKernel] = model.net.getWeights() as Tensor2D[];
    model.net.setWeights([kernel!, recurrentKernel!, bias]);
    const y = model.predict(x) as Tensor;
    const expected = reference(x, kernel!, recurrentKernel!, bias);
    expect(maxAbsDiff(y, expected)).toBeLessThan(1e-6);

    const backwards = gruModel({ goBackwards: true });
    backwards.net.setWeights([kernel!, recurrentKernel!, bias]);
    const yBack = backwards.predict(x) as Tensor;
    const expectedBack = reference(tf.reverse(x, 1), kernel!, recurrentKernel!, bias);
    expect(maxAbsDiff(yBack, expectedBack)).toBeLessThan(1e-6);

    // tfjs's GRU (reset before the matmul, input bias only) computes something else from the same kernels.
    const before = sequential([layers.gru({ units: UNITS, inputShape: [STEPS, INPUT] })]);
    before.net.setWeights([kernel!, recurrentKernel!, tf.unstack(bias)[0]!]);
    expect(maxAbsDiff(before.predict(x) as Tensor, y)).toBeGreaterThan(1e-3);
    tf.dispose([x, bias, y, expected, yBack, expectedBack]);
    for (const m of [model, backwards, before]) m.net.dispose();
  });

  it('has the gradients of finite differences, for every variable', () => {
    const model = gruModel();
    const net = layersModelOf(model);
    const x = tf.randomNormal([BATCH, STEPS, INPUT], 0, 1, 'float32', 3);
    const projection = tf.randomNormal([BATCH, UNITS], 0, 1, 'float32', 4);
    net.setWeights(net.getWeights().map((w, i) => tf.randomNormal(w.shape, 0, 0.5, 'float32', 10 + i)));
    const loss = () => tf.sum(tf.mul(net.predict(x) as Tensor, projection)) as Scalar;
    const variables = net.trainableWeights.map((w) => (w as unknown as { val: Variable }).val);
    const { grads } = tf.variableGrads(loss, variables);
    const eps = 1e-2;
    for (const v of variables) {
      const analytic = grads[v.name]!.dataSync();
      const values = v.dataSync().slice();
      // A few entries of each variable, by central differences (float32: eps 1e-2, tolerance 2e-3).
      for (const i of [0, Math.floor(values.length / 2), values.length - 1]) {
        const at = (delta: number) => {
          const shifted = values.slice();
          shifted[i] = values[i]! + delta;
          v.assign(tf.tensor(shifted, v.shape));
          return loss().dataSync()[0]!;
        };
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        v.assign(tf.tensor(values, v.shape));
        expect(Math.abs(numeric - analytic[i]!), `${v.name}[${i}]`).toBeLessThan(2e-3);
      }
    }
    tf.dispose([x, projection, ...Object.values(grads)]);
    model.net.dispose();
  });

  it('trains as a graph with the results of eager training, dropout and Bidirectional included', async () => {
    const train = async (dropout: number) => {
      setSeed(5);
      const model = sequential([
        layers.bidirectional({
          layer: layers.gru({ units: 4, resetAfter: true, returnSequences: true, dropout, recurrentDropout: dropout }),
          inputShape: [STEPS, INPUT],
        }),
        layers.gru({ units: 3, resetAfter: true }),
        layers.dense({ units: 1 }),
      ]);
      model.compile({ optimizer: 'adam', loss: 'meanSquaredError' });
      const x = tf.randomNormal([64, STEPS, INPUT], 0, 1, 'float32', 6);
      const y = tf.sum(x, [1, 2]).reshape([64, 1]);
      const history = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
      tf.dispose([x, y]);
      const steps = [...(model as unknown as { trainFunctions: Map<string, GraphFunction> }).trainFunctions.values()][0]!;
      const weights = model.net.getWeights().map((w) => tf.clone(w));
      model.net.dispose();
      return { losses: history.history['loss'] as number[], weights, calls: steps.calls };
    };
    const graph = await train(0);
    expect(graph.calls.graph).toBeGreaterThan(graph.calls.eager);
    expect(graph.losses[1]!).toBeLessThan(graph.losses[0]!);
    process.env['DL_GRAPH'] = '0';
    const eager = await train(0).finally(() => delete process.env['DL_GRAPH']);
    expect(eager.calls.graph).toBe(0);
    graph.losses.forEach((loss, i) => expect(loss).toBeCloseTo(eager.losses[i]!, 5));
    graph.weights.forEach((w, i) => expect(maxAbsDiff(w, eager.weights[i]!)).toBeLessThan(1e-5));
    // With dropout the masks are drawn anew at every step of the graph too (no mask baked into it): still a graph.
    const dropped = await train(0.2);
    expect(dropped.calls.graph).toBeGreaterThan(dropped.calls.eager);
    expect(dropped.losses.every(Number.isFinite)).toBe(true);
    expect(maxAbsDiff(dropped.weights[0]!, graph.weights[0]!)).toBeGreaterThan(1e-4);
    tf.dispose([...graph.weights, ...eager.weights, ...dropped.weights]);
  });

  it('saves and loads as a GRU with reset_after: true, which dl reads back and plain TF.js refuses', async () => {
    const model = sequential([layers.bidirectional({ layer: layers.gru({ units: 2, resetAfter: true }), inputShape: [STEPS, INPUT] })]);
    const dir = join(root, 'saved');
    await model.save(dir);
    const loaded = await loadModel(dir);
    const wrapped = loaded.net.layers[0] as unknown as { forwardLayer: object; backwardLayer: object };
    expect(wrapped.forwardLayer).toBeInstanceOf(ResetAfterGRU);
    expect(wrapped.backwardLayer).toBeInstanceOf(ResetAfterGRU);
    const x = tf.randomNormal([2, STEPS, INPUT], 0, 1, 'float32', 7);
    expect(Array.from((loaded.predict(x) as Tensor).dataSync())).toEqual(Array.from((model.predict(x) as Tensor).dataSync()));
    const topology = layersModelOf(model).toJSON(null, false);
    expect(JSON.stringify(topology)).toContain('"reset_after":true');
    await expect(tfl.models.modelFromJSON({ modelTopology: topology } as never)).rejects.toThrow(/reset_after/);
    tf.dispose(x);
    model.net.dispose();
    loaded.net.dispose();
  });

  it("writes a .keras file with Keras's reset_after: true and [2, 3·units] bias, which dl reads back (Keras: keras-write-live)", async () => {
    const model = sequential([layers.gru({ units: 3, resetAfter: true, inputShape: [STEPS, INPUT] })]);
    const file = join(root, 'gru.keras');
    await model.save(file);
    const config = JSON.parse(new TextDecoder().decode(unzipSync(await readFile(file))['config.json']!)) as {
      config: { layers: { class_name: string; config: Record<string, unknown> }[] };
    };
    expect(config.config.layers.find((l) => l.class_name === 'GRU')!.config).toMatchObject({ reset_after: true });
    const loaded = await loadModel(file);
    const x = tf.randomNormal([2, STEPS, INPUT], 0, 1, 'float32', 8);
    expect(Array.from((loaded.predict(x) as Tensor).dataSync())).toEqual(Array.from((model.predict(x) as Tensor).dataSync()));
    tf.dispose(x);
    model.net.dispose();
    loaded.net.dispose();
  });
});
