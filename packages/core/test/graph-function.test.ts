// Steps traced into TensorFlow graph functions: same results as eager execution, host values and hooks repeated
// every call, variables updated, fallbacks, retracing.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Tensor, Variable } from '@tensorflow/tfjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  afterEachCall,
  beforeEachCall,
  GraphFunction,
  hostTensors,
  layers,
  sequential,
  setLearningRate,
  setSeed,
  tf,
  type Model,
} from '../src/index.js';
import { AdamSlots, type AdamStep } from '../src/native/adam-slots.js';
import { nativeBackend } from '../src/native/native-ops.js';
import { maxAbsDiff } from './helpers.js';

/** Runs `body` with graph execution switched off (DL_GRAPH=0), as the eager reference. */
async function eagerly<T>(body: () => Promise<T> | T): Promise<T> {
  process.env['DL_GRAPH'] = '0';
  try {
    return await body();
  } finally {
    delete process.env['DL_GRAPH'];
  }
}

afterEach(() => {
  delete process.env['DL_GRAPH'];
});

/** A small image classifier with every natively replaced layer kind: conv, pooling, batch norm, dropout, dense. */
function convNet(): Model {
  return sequential([
    layers.conv2d({ inputShape: [8, 8, 1], filters: 4, kernelSize: 3, activation: 'relu', padding: 'same' }),
    layers.batchNormalization(),
    layers.maxPooling2d({ poolSize: 2 }),
    layers.dropout({ rate: 0.25 }),
    layers.flatten(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
}

function imageData(n: number): { x: Tensor; y: Tensor } {
  return tf.tidy(() => {
    const x = tf.randomNormal([n, 8, 8, 1], 0, 1, 'float32', 11);
    const y = tf.cast(tf.argMax(tf.reshape(tf.slice(x, [0, 0, 0, 0], [n, 1, 3, 1]), [n, 3]), 1), 'float32');
    return { x, y };
  });
}

async function trainConvNet(): Promise<{ losses: number[]; weights: Tensor[]; model: Model }> {
  setSeed(7);
  const model = convNet();
  model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
  const { x, y } = imageData(192);
  const history = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
  tf.dispose([x, y]);
  return { losses: history.history['loss'] as number[], weights: model.net.getWeights().map((w) => tf.clone(w)), model };
}

describe('GraphFunction', () => {
  it('trains a model as a graph with the results of eager training', async () => {
    const graph = await trainConvNet();
    const steps = [...(graph.model as unknown as { trainFunctions: Map<string, GraphFunction> }).trainFunctions.values()][0]!;
    expect(steps.eagerReason).toBeUndefined();
    expect(steps.calls.graph).toBeGreaterThan(steps.calls.eager);
    const eager = await eagerly(trainConvNet);
    graph.losses.forEach((loss, i) => expect(loss).toBeCloseTo(eager.losses[i]!, 5));
    graph.weights.forEach((w, i) => expect(maxAbsDiff(w, eager.weights[i]!)).toBeLessThan(1e-5));
    tf.dispose([...graph.weights, ...eager.weights]);
  });

  it('computes host values anew and runs the hooks around every call', () => {
    let step = 0;
    const log: string[] = [];
    const fn = new GraphFunction(([x]) => {
      const [k] = hostTensors(() => [tf.scalar(step)]);
      beforeEachCall(() => log.push(`before ${step}`));
      afterEachCall(() => log.push(`after ${step++}`));
      return [tf.mul(x!, k!)];
    });
    const x = tf.ones([2]);
    const results = Array.from({ length: 6 }, () => {
      const [y] = fn.run([x]);
      const value = y!.dataSync()[0]!;
      y!.dispose();
      return value;
    });
    expect(results).toEqual([0, 1, 2, 3, 4, 5]);
    expect(fn.calls.graph).toBeGreaterThan(0);
    expect(log).toEqual([0, 1, 2, 3, 4, 5].flatMap((s) => [`before ${s}`, `after ${s}`]));
    x.dispose();
  });

  it('assigns the variables the step updates, and draws a new dropout mask at every call', () => {
    const v = tf.variable(tf.zeros([1000]));
    const dropout = layers.dropout({ rate: 0.5 });
    const fn = new GraphFunction(([x]) => {
      const dropped = dropout.apply(x!, { training: true }) as Tensor;
      v.assign(tf.add(v, x!));
      return [dropped];
    });
    const x = tf.ones([1000]);
    const masks = Array.from({ length: 5 }, () => fn.run([x])[0]!);
    // Calls 1 to 3 are traced (the first may create state), 2 and 3 agree, so calls 4 and 5 run the graph.
    expect(fn.calls).toEqual({ graph: 2, eager: 3 });
    // Graph calls leave no tensors behind but their outputs.
    const held = tf.memory().numTensors;
    tf.dispose(fn.run([x]));
    expect(tf.memory().numTensors).toBe(held);
    expect(v.dataSync().every((value) => value === 6)).toBe(true);
    // The last two calls ran the graph: different masks, each about half zeros.
    expect(maxAbsDiff(masks[3]!, masks[4]!)).toBeGreaterThan(0);
    for (const m of masks.slice(3)) {
      const zeros = m.dataSync().filter((value) => value === 0).length;
      expect(zeros).toBeGreaterThan(400);
      expect(zeros).toBeLessThan(600);
    }
    tf.dispose([v, x, ...masks]);
  });

  it('retrace(): the next three calls are traced again, as at the start, then the same graph runs', () => {
    const v = tf.variable(tf.zeros([3]));
    const fn = new GraphFunction(([x]) => {
      v.assign(tf.add(v, x!));
      return [tf.sum(v)];
    });
    const x = tf.ones([3]);
    const run = () => {
      const [y] = fn.run([x]);
      const value = y!.dataSync()[0]!;
      y!.dispose();
      return value;
    };
    const first = Array.from({ length: 5 }, run);
    const ops = fn.graphOps;
    expect(fn.calls).toEqual({ graph: 2, eager: 3 });
    fn.retrace();
    const second = Array.from({ length: 5 }, run);
    expect(fn.calls).toEqual({ graph: 4, eager: 6 });
    expect(fn.graphOps).toEqual(ops);
    expect([...first, ...second]).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    tf.dispose([v, x]);
  });

  it('keeps a step that reads values on the host eager, says why, and still computes it', () => {
    const fn = new GraphFunction(([x]) => {
      const total = tf.sum(x!).dataSync()[0]!;
      return [tf.add(x!, total)];
    });
    const x = tf.tensor1d([1, 2]);
    for (let i = 0; i < 5; i++) {
      const [y] = fn.run([x]);
      expect(Array.from(y!.dataSync())).toEqual([4, 5]);
      y!.dispose();
    }
    expect(fn.calls.graph).toBe(0);
    expect(fn.eagerReason).toMatch(/reads a tensor value on the host/);
    x.dispose();
  });

  it('traces each input shape on its own', () => {
    const fn = new GraphFunction(([x]) => [tf.sum(tf.square(x!))]);
    for (const n of [2, 3, 2, 3, 2, 3, 2, 3]) {
      const x = tf.fill([n], 2);
      const [y] = fn.run([x]);
      expect(y!.dataSync()[0]).toBe(4 * n);
      tf.dispose([x, y!]);
    }
    expect(fn.calls.graph).toBe(2); // each shape: three traces, then the graph
  });

  it('hands back new tensors, also where the step returns its input unchanged', () => {
    const fn = new GraphFunction(([x]) => [x!, tf.add(x!, 1)]);
    const x = tf.tensor1d([1, 2]);
    for (let i = 0; i < 5; i++) {
      const [same, plusOne] = fn.run([x]);
      expect(same).not.toBe(x);
      expect(Array.from(same!.dataSync())).toEqual([1, 2]);
      expect(Array.from(plusOne!.dataSync())).toEqual([2, 3]);
      tf.dispose([same!, plusOne!]);
    }
    expect(fn.calls.graph).toBe(2);
    expect(x.isDisposed).toBe(false);
    x.dispose();
  });

  it("follows Adam's learning rate when a callback changes it, and retraces after the optimizer's state is replaced", async () => {
    setSeed(3);
    const model = convNet();
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const { x, y } = imageData(64);
    await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    // Learning rate 0: the graph's Adam step leaves the weights as they are.
    setLearningRate(model.optimizer, 0);
    const trainable = () => model.net.trainableWeights.map((w) => tf.clone(w.read()));
    const frozen = trainable();
    await model.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 });
    const after = trainable();
    frozen.forEach((w, i) => expect(maxAbsDiff(w, after[i]!)).toBe(0));
    // New optimizer state (as a restore does) frees the resources the graph captured; training goes on.
    setLearningRate(model.optimizer, 0.01);
    await model.optimizer.setWeights(await model.optimizer.getWeights());
    const history = await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
    const moved = trainable();
    expect(Math.max(...frozen.map((w, i) => maxAbsDiff(w, moved[i]!)))).toBeGreaterThan(0);
    expect((history.history['loss'] as number[]).every(Number.isFinite)).toBe(true);
    tf.dispose([x, y, ...frozen, ...after, ...moved]);
  });

  it('predicts batch by batch as a graph, equal to eager prediction', async () => {
    setSeed(4);
    const model = convNet();
    const x = tf.randomNormal([70, 8, 8, 1]);
    const graph = model.predict(x, { batchSize: 8 });
    const again = model.predict(x, { batchSize: 8 });
    const eager = await eagerly(() => model.predict(x, { batchSize: 8 }));
    expect(graph.shape).toEqual([70, 3]);
    expect(maxAbsDiff(graph, eager)).toBeLessThan(1e-6);
    expect(maxAbsDiff(again, eager)).toBeLessThan(1e-6);
    tf.dispose([x, graph, again, eager]);
  });

  it('runs every call eagerly with DL_GRAPH=0', () => {
    process.env['DL_GRAPH'] = '0';
    const v: Variable = tf.variable(tf.scalar(0));
    const fn = new GraphFunction(() => {
      v.assign(tf.add(v, 1));
      return [tf.clone(v)];
    });
    for (let i = 0; i < 4; i++) tf.dispose(fn.run([]));
    expect(fn.calls).toEqual({ graph: 0, eager: 4 });
    expect(v.dataSync()[0]).toBe(4);
    v.dispose();
  });

  it('keeps an update to a TensorFlow resource that no output reads (Grappler prunes what outputs do not need)', () => {
    const backend = nativeBackend()!;
    const adam: AdamStep = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, beta1Power: 0.9, beta2Power: 0.999, epsilon: 1e-7 };
    const run = (graph: boolean): Float32Array => {
      if (!graph) process.env['DL_GRAPH'] = '0';
      const slots = new AdamSlots(backend, 3);
      try {
        for (const slot of ['params', 'm', 'v'] as const) slots.assign(slot, tf.zeros([3]));
        // The step's only effect is on the resource; its one output does not depend on it.
        const fn = new GraphFunction(([g]) => {
          slots.apply(AdamSlots.scalars(adam), g!);
          return [tf.neg(g!)];
        }, 'resource-only');
        const grad = tf.tensor1d([1, -2, 3]);
        for (let i = 0; i < 6; i++) tf.dispose(fn.run([grad]));
        expect(fn.calls.graph, fn.eagerReason).toBe(graph ? 3 : 0);
        grad.dispose();
        return tf.tidy(() => slots.read('params').dataSync() as Float32Array);
      } finally {
        slots.dispose();
        delete process.env['DL_GRAPH'];
      }
    };
    const eager = run(false);
    expect(Math.abs(eager[0]!)).toBeGreaterThan(0.1);
    expect(Array.from(run(true))).toEqual(Array.from(eager));
  });

  it('runs a single-threaded graph on the calling thread, and a graph of parallel branches on the inter-op pool', () => {
    // CPU time of this thread (user + system, clock ticks) against the whole process's, over graph calls only.
    const thisThread = () => {
      const fields = readFileSync('/proc/thread-self/stat', 'utf8').split(') ')[1]!.split(' ');
      return Number(fields[11]) + Number(fields[12]);
    };
    const share = (fn: GraphFunction, x: Tensor) => {
      for (let i = 0; i < 4; i++) tf.dispose(fn.run([x])); // three traced calls, then the graph
      const [thread0, process0] = [thisThread(), process.cpuUsage()];
      for (let i = 0; i < 30; i++) tf.dispose(fn.run([x]));
      const used = process.cpuUsage(process0);
      return (thisThread() - thread0) / 100 / ((used.user + used.system) / 1e6);
    };
    // Ops too small for TensorFlow to split across its intra-op threads: each runs on the thread running the graph.
    const x = tf.randomNormal([16, 16]);
    const chain = new GraphFunction(([v]) => {
      let y = v!;
      for (let i = 0; i < 300; i++) y = tf.tanh(tf.matMul(y, v!));
      return [y];
    });
    const branches = new GraphFunction(([v]) =>
      [0, 1, 2].map((k) => {
        let y = tf.add(v!, k);
        for (let i = 0; i < 100; i++) y = tf.tanh(tf.matMul(y, v!));
        return y;
      }),
    );
    const chainShare = share(chain, x);
    const branchShare = share(branches, x);
    expect(chain.callOp).toBe('StatefulPartitionedCall');
    expect(branches.callOp).toMatch(/^dl_/);
    // Measured 0.89–1.07 and 0.17–0.18. Called by name, a graph runs on TensorFlow's inter-op threads while this one
    // waits, as the branches do.
    expect(chainShare).toBeGreaterThan(0.6);
    expect(branchShare).toBeLessThan(0.4);
    x.dispose();
  });

  it("runs TensorFlow's graph optimizer on its functions, as tf.function's calls do (the remapper fuses Conv2D, BiasAdd and Relu)", () => {
    // Grappler says what it optimizes only in TensorFlow's verbose log: a child process turns that on.
    const script = [
      "import { layers, sequential, tf } from '@dl/core';",
      "const model = sequential([layers.conv2d({ inputShape: [8, 8, 1], filters: 2, kernelSize: 3, activation: 'relu' }), layers.flatten(), layers.dense({ units: 1 })]);",
      'const x = tf.ones([4, 8, 8, 1]);',
      'for (let i = 0; i < 5; i++) tf.dispose(model.predict(x));',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '0', TF_CPP_VMODULE: 'meta_optimizer=1' },
      encoding: 'utf8',
    });
    expect(child.status, child.stderr).toBe(0);
    // A forward pass is a chain, so it runs on the calling thread inside StatefulPartitionedCall's wrapper function,
    // into which TensorFlow inlines it before optimizing (graph-function.ts, functionCall).
    expect(child.stderr).toMatch(/Starting optimization for grappler item: (dl_predict_|__wrapped__StatefulPartitionedCall)/);
    expect(child.stderr).toMatch(/remapper: Graph size after: \d+ nodes \(-\d+\)/);
  });
});
