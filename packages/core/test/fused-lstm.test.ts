// The fused native LSTM (BlockLSTMV2 / BlockLSTMGradV2) against tfjs-layers' generic step-by-step LSTM.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Scalar, Tensor, Tensor1D, Tensor2D, Tensor3D, Variable } from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendInfo, input, layers, loadModel, model, sequential, setSeed, tf, type SymbolicTensor } from '../src/index.js';
import { FusedLSTM } from '../src/native/fused-lstm-layer.js';
import { fusedLstm, fusedLstmAvailable } from '../src/native/fused-lstm.js';
import { maxAbsDiff, tempDir } from './helpers.js';
import { layersModelOf } from '../src/tfjs-layers-api.js';

const [BATCH, STEPS, INPUT, UNITS] = [3, 5, 4, 6];

/** A built layers.lstm with random weights (including a non-trivial bias). */
function randomLstm(
  options: { returnSequences?: boolean; returnState?: boolean; useBias?: boolean; goBackwards?: boolean } = {},
): FusedLSTM {
  const layer = layers.lstm({ units: UNITS, ...options }) as FusedLSTM;
  expect(layer).toBeInstanceOf(FusedLSTM);
  tf.dispose(layer.apply(tf.zeros([1, STEPS, INPUT])) as Tensor | Tensor[]); // builds it
  layer.setWeights(layer.getWeights().map((w) => tf.tidy(() => tf.mul(tf.randomNormal(w.shape), 0.5))));
  return layer;
}

/** Output(s) of `layer` on `x`, through the fused kernel or the generic implementation. */
function run(layer: FusedLSTM, fused: boolean, x: Tensor, kwargs: Record<string, unknown> = {}): Tensor[] {
  layer.fusedKernel = fused;
  const before = [layer.fusedCalls, layer.genericCalls];
  const out = layer.apply(x, { training: true, ...kwargs }) as Tensor | Tensor[];
  expect([layer.fusedCalls - before[0]!, layer.genericCalls - before[1]!]).toEqual(fused ? [1, 0] : [0, 1]);
  return Array.isArray(out) ? out : [out];
}

/** Gradients of sum(output · r) with respect to `vars`, through either path. */
function gradients(layer: FusedLSTM, fused: boolean, vars: Variable[], f: () => Tensor[]): Tensor[] {
  layer.fusedKernel = fused;
  const { value, grads } = tf.variableGrads(() => {
    const outs = f();
    // Random cotangents, so every output element (and every returned state) contributes differently.
    return tf.addN(outs.map((o, i) => tf.sum(tf.mul(o, tf.randomNormal(o.shape, 0, 1, 'float32', 100 + i))))) as Scalar;
  }, vars);
  value.dispose();
  return vars.map((v) => grads[v.name]!);
}

describe('fused LSTM kernel', () => {
  it('runs on the native backend', () => {
    expect(backendInfo().backend).toBe('tensorflow');
    expect(fusedLstmAvailable()).toBe(true);
  });

  for (const returnSequences of [false, true]) {
    describe(`returnSequences ${returnSequences}`, () => {
      it('gives the generic LSTM outputs within 1e-4', () => {
        setSeed(1);
        const layer = randomLstm({ returnSequences });
        const x = tf.randomNormal([BATCH, STEPS, INPUT]);
        const [fused] = run(layer, true, x);
        const [generic] = run(layer, false, x);
        expect(fused!.shape).toEqual(returnSequences ? [BATCH, STEPS, UNITS] : [BATCH, UNITS]);
        expect(maxAbsDiff(fused!, generic!)).toBeLessThan(1e-4);
        tf.dispose([x, fused!, generic!]);
        layer.dispose();
      });

      it('gives the generic gradients for the inputs, kernel, recurrent kernel and bias within 1e-4', () => {
        setSeed(2);
        const layer = randomLstm({ returnSequences });
        const x = tf.variable(tf.randomNormal([BATCH, STEPS, INPUT]));
        const vars = [x, ...layer.trainableWeights.map((w) => w.read() as Variable)];
        expect(vars.map((v) => v.shape)).toEqual([[BATCH, STEPS, INPUT], [INPUT, 4 * UNITS], [UNITS, 4 * UNITS], [4 * UNITS]]);
        const fused = gradients(layer, true, vars, () => run(layer, true, x));
        const generic = gradients(layer, false, vars, () => run(layer, false, x));
        for (let i = 0; i < vars.length; i++) {
          expect(tf.tidy(() => tf.max(tf.abs(generic[i]!)).dataSync()[0]!)).toBeGreaterThan(1e-3); // not trivially zero
          expect(maxAbsDiff(fused[i]!, generic[i]!), `gradient ${i}`).toBeLessThan(1e-4);
        }
        tf.dispose([x, ...fused, ...generic]);
        layer.dispose();
      });

      it('matches with returnState and an initial state, including the state gradients', () => {
        setSeed(3);
        const layer = randomLstm({ returnSequences, returnState: true });
        const x = tf.variable(tf.randomNormal([BATCH, STEPS, INPUT]));
        const h0 = tf.variable(tf.randomNormal([BATCH, UNITS]));
        const c0 = tf.variable(tf.randomNormal([BATCH, UNITS]));
        const call = (fused: boolean) => run(layer, fused, x, { initialState: [h0, c0] });
        const fusedOut = call(true);
        const genericOut = call(false);
        expect(fusedOut).toHaveLength(3);
        for (let i = 0; i < 3; i++) expect(maxAbsDiff(fusedOut[i]!, genericOut[i]!), `output ${i}`).toBeLessThan(1e-4);

        const vars = [x, h0, c0, ...layer.trainableWeights.map((w) => w.read() as Variable)];
        const fused = gradients(layer, true, vars, () => call(true));
        const generic = gradients(layer, false, vars, () => call(false));
        for (let i = 0; i < vars.length; i++) expect(maxAbsDiff(fused[i]!, generic[i]!), `gradient ${i}`).toBeLessThan(1e-4);
        tf.dispose([x, h0, c0, ...fusedOut, ...genericOut, ...fused, ...generic]);
        layer.dispose();
      });
    });
  }

  it('matches without a bias (useBias false)', () => {
    setSeed(4);
    const layer = randomLstm({ useBias: false });
    const x = tf.variable(tf.randomNormal([BATCH, STEPS, INPUT]));
    const vars = [x, ...layer.trainableWeights.map((w) => w.read() as Variable)];
    expect(vars).toHaveLength(3);
    const fused = gradients(layer, true, vars, () => run(layer, true, x));
    const generic = gradients(layer, false, vars, () => run(layer, false, x));
    for (let i = 0; i < vars.length; i++) expect(maxAbsDiff(fused[i]!, generic[i]!)).toBeLessThan(1e-4);
    tf.dispose([x, ...fused, ...generic]);
    layer.dispose();
  });

  it('matches with goBackwards (outputs in processing order, as tfjs)', () => {
    setSeed(11);
    const layer = randomLstm({ returnSequences: true, goBackwards: true });
    const x = tf.variable(tf.randomNormal([BATCH, STEPS, INPUT]));
    const [fusedOut] = run(layer, true, x);
    const [genericOut] = run(layer, false, x);
    expect(maxAbsDiff(fusedOut!, genericOut!)).toBeLessThan(1e-4);
    const vars = [x, ...layer.trainableWeights.map((w) => w.read() as Variable)];
    const fused = gradients(layer, true, vars, () => run(layer, true, x));
    const generic = gradients(layer, false, vars, () => run(layer, false, x));
    for (let i = 0; i < vars.length; i++) expect(maxAbsDiff(fused[i]!, generic[i]!), `gradient ${i}`).toBeLessThan(1e-4);
    tf.dispose([x, fusedOut!, genericOut!, ...fused, ...generic]);
    layer.dispose();
  });

  it('takes the fused path in a functional model with initial-state inputs, matching the generic one', () => {
    setSeed(12);
    const x = input({ shape: [STEPS, INPUT] });
    const h0 = input({ shape: [UNITS] });
    const c0 = input({ shape: [UNITS] });
    const lstm = layers.lstm({ units: UNITS, returnSequences: true }) as FusedLSTM;
    const net = layersModelOf(
      model({ inputs: [x, h0, c0], outputs: lstm.apply(x as never, { initialState: [h0, c0] }) as SymbolicTensor }),
    );
    const feeds = [
      [BATCH, STEPS, INPUT],
      [BATCH, UNITS],
      [BATCH, UNITS],
    ].map((shape) => tf.randomNormal(shape));
    const fused = net.predict(feeds) as Tensor;
    expect([lstm.fusedCalls, lstm.genericCalls]).toEqual([1, 0]);
    lstm.fusedKernel = false;
    const generic = net.predict(feeds) as Tensor;
    expect([lstm.fusedCalls, lstm.genericCalls]).toEqual([1, 1]);
    expect(maxAbsDiff(fused, generic)).toBeLessThan(1e-4);
    tf.dispose([...feeds, fused, generic]);
  });

  it('fusedLstm() can be called directly with tensors', () => {
    setSeed(5);
    const layer = randomLstm({ returnSequences: true });
    const x = tf.randomNormal([BATCH, STEPS, INPUT]) as Tensor3D;
    const [kernel, recurrentKernel, bias] = layer.getWeights() as [Tensor2D, Tensor2D, Tensor1D];
    const [direct] = fusedLstm(x, { kernel, recurrentKernel, bias }, null, { returnSequences: true });
    const [generic] = run(layer, false, x);
    expect(maxAbsDiff(direct!, generic!)).toBeLessThan(1e-4);
    tf.dispose([x, direct!, generic!]);
    layer.dispose();
  });
});

describe('layers.lstm chooses its path', () => {
  const x = () => tf.randomNormal([BATCH, STEPS, INPUT]);

  it('takes the fused kernel with the Keras defaults, for training and inference', () => {
    const layer = layers.lstm({ units: UNITS }) as FusedLSTM;
    expect(layer.usesFusedKernel).toBe(true);
    const input = x();
    tf.dispose([layer.apply(input, { training: true }) as Tensor, layer.apply(input) as Tensor]);
    expect([layer.fusedCalls, layer.genericCalls]).toEqual([2, 0]);
    input.dispose();
  });

  it('falls back to the generic LSTM for dropout while training (but not in inference)', () => {
    for (const option of [{ dropout: 0.2 }, { recurrentDropout: 0.2 }]) {
      const layer = layers.lstm({ units: UNITS, ...option }) as FusedLSTM;
      expect(layer.usesFusedKernel).toBe(false);
      expect(layer.fusedBlocker(true)).toBe('dropout while training');
      const input = x();
      tf.dispose(layer.apply(input, { training: true }) as Tensor);
      expect([layer.fusedCalls, layer.genericCalls]).toEqual([0, 1]);
      tf.dispose(layer.apply(input, { training: false }) as Tensor);
      expect([layer.fusedCalls, layer.genericCalls]).toEqual([1, 1]);
      input.dispose();
    }
  });

  it.each([
    ['activation relu', { activation: 'relu' }],
    ['recurrentActivation hardSigmoid', { recurrentActivation: 'hardSigmoid' }],
  ] as const)('falls back to the generic LSTM for %s', (_name, option) => {
    const layer = layers.lstm({ units: UNITS, ...option }) as FusedLSTM;
    expect(layer.usesFusedKernel).toBe(false);
    const input = x();
    tf.dispose(layer.apply(input, { training: true }) as Tensor);
    expect([layer.fusedCalls, layer.genericCalls]).toEqual([0, 1]);
    input.dispose();
  });

  it('falls back to the generic LSTM when stateful', () => {
    const layer = layers.lstm({ units: UNITS, stateful: true, batchInputShape: [BATCH, STEPS, INPUT] }) as FusedLSTM;
    expect(layer.usesFusedKernel).toBe(false);
    expect(layer.fusedBlocker(false)).toBe('stateful');
  });

  it('falls back to the generic LSTM under a mask (Embedding maskZero)', () => {
    setSeed(6);
    const model = sequential([
      layers.embedding({ inputDim: 10, outputDim: 4, maskZero: true, inputShape: [STEPS] }),
      layers.lstm({ units: UNITS }),
    ]);
    const lstm = model.net.layers[1] as FusedLSTM;
    const ids = { data: new Float32Array([1, 2, 3, 0, 0, 4, 5, 6, 7, 8, 9, 1, 0, 0, 0]), shape: [BATCH, STEPS] };
    const out = model.predict(ids) as Tensor;
    expect(lstm.fusedCalls).toBe(0);
    expect(lstm.genericCalls).toBeGreaterThan(0);
    out.dispose();
  });
});

describe('a model with the fused LSTM', () => {
  let root: string;
  beforeAll(async () => {
    root = await tempDir();
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const n = 24;
  const data = () => {
    const ids = new Float32Array(n * STEPS);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < STEPS; t++) ids[i * STEPS + t] = (i * 7 + t * 3) % 50;
      y[i] = i % 2;
    }
    return { x: { data: ids, shape: [n, STEPS] }, y: { data: y, shape: [n] } };
  };
  const build = () =>
    sequential([
      layers.embedding({ inputDim: 50, outputDim: INPUT, inputShape: [STEPS] }),
      layers.lstm({ units: UNITS }),
      layers.dense({ units: 1, activation: 'sigmoid' }),
    ]);

  it('trains to the same weights as the generic LSTM (gradients reach the variables through the optimizer)', async () => {
    setSeed(7);
    const fusedModel = build();
    const genericModel = build();
    const initial = fusedModel.net.getWeights().map((w) => w.clone());
    genericModel.net.setWeights(initial);
    (genericModel.net.layers[1] as FusedLSTM).fusedKernel = false;
    const { x, y } = data();
    for (const m of [fusedModel, genericModel]) {
      m.compile({ optimizer: { name: 'adam', learningRate: 0.01 }, loss: 'binaryCrossentropy' });
      await m.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0 });
    }
    const fusedLayer = fusedModel.net.layers[1] as FusedLSTM;
    const genericLayer = genericModel.net.layers[1] as FusedLSTM;
    expect(fusedLayer.fusedCalls).toBeGreaterThan(0);
    expect(fusedLayer.genericCalls).toBe(0);
    expect(genericLayer.fusedCalls).toBe(0);
    const a = fusedModel.net.getWeights();
    const b = genericModel.net.getWeights();
    expect(maxAbsDiff(a[1]!, initial[1]!)).toBeGreaterThan(1e-3); // the LSTM kernel did train
    for (let i = 0; i < a.length; i++) expect(maxAbsDiff(a[i]!, b[i]!), `weight ${i}`).toBeLessThan(1e-4);
  });

  it('saves as a plain LSTM (className LSTM) that loads, with the fused kernel, and predicts identically', async () => {
    setSeed(8);
    const model = build();
    const { x, y } = data();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    const dir = join(root, 'lstm');
    await model.save(dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
      modelTopology: {
        model_config?: { config: { layers: Array<{ class_name: string }> } };
        config?: { layers: Array<{ class_name: string }> };
      };
    };
    const topology = json.modelTopology.model_config ?? json.modelTopology;
    expect(topology.config!.layers.map((l) => l.class_name)).toContain('LSTM');
    expect(JSON.stringify(json)).not.toMatch(/Fused/);

    const loaded = await loadModel(dir);
    const loadedLstm = loaded.net.layers.find((l) => l.getClassName() === 'LSTM')!;
    expect(loadedLstm).toBeDefined();
    expect(loadedLstm).toBeInstanceOf(FusedLSTM); // registered under 'LSTM'
    const before = model.predict(x) as Tensor;
    const after = loaded.predict(x) as Tensor;
    expect(maxAbsDiff(before, after)).toBeLessThan(1e-5);
    tf.dispose([before, after]);
  });

  it('leaks no tensors across training steps and predictions', async () => {
    setSeed(9);
    const model = build();
    const { x, y } = data();
    model.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    tf.dispose(model.predict(x) as Tensor);
    const before = tf.memory().numTensors;
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    tf.dispose(model.predict(x) as Tensor);
    expect(tf.memory().numTensors).toBe(before);
    expect((model.net.layers[1] as FusedLSTM).genericCalls).toBe(0);
  });

  it('leaves no tensor behind once a network with LSTMs (one inside Bidirectional) is built and disposed', () => {
    const before = tf.memory().numTensors;
    const net = sequential([
      layers.embedding({ inputDim: 10, outputDim: 4, inputLength: STEPS }),
      layers.bidirectional({ layer: layers.lstm({ units: 3, returnSequences: true }) as never }),
      layers.lstm({ units: 3 }),
    ]);
    expect(tf.memory().numTensors).toBeGreaterThan(before);
    net.net.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('leaks no tensors through optimizer.minimize with returnState', () => {
    setSeed(10);
    const layer = randomLstm({ returnSequences: true, returnState: true });
    const optimizer = tf.train.adam(0.01);
    const x = tf.randomNormal([BATCH, STEPS, INPUT]);
    const step = () =>
      tf.dispose(
        optimizer.minimize(() => tf.addN((layer.apply(x, { training: true }) as Tensor[]).map((t) => tf.mean(tf.square(t)))) as Scalar) ??
          undefined,
      );
    step();
    const [before, callsBefore] = [tf.memory().numTensors, layer.fusedCalls];
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    expect(layer.fusedCalls - callsBefore).toBe(3);
    x.dispose();
  });
});
