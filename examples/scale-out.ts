// Scale out: dl makes and trains a model, exports it as a Keras 3 .keras file, TensorFlow trains it data-parallel on
// two worker processes (MultiWorkerMirroredStrategy, examples/scale_out_worker.py), and dl imports the result and
// evaluates it. The two workers here are on localhost; on a cluster, each machine runs the worker script with its
// TF_CONFIG (README: "Scale out: train on several machines with Keras").
//
// Run from the repo root: pnpm --filter dl-examples scale-out [--samples N] [--epochs N] [--python PATH] [--out DIR] [--json]
// Needs Python with TensorFlow and Keras 3 (default: bench/.venv/bin/python, made by `npx tsx scripts/ensure-keras-venv.ts`).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { layers, loadModel, sequential, setSeed, type Tensor, tf } from '@dl/core';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opts } = parseArgs({
  options: {
    samples: { type: 'string', default: '4096' },
    epochs: { type: 'string', default: '2' },
    python: { type: 'string', default: join(here, '..', 'bench', '.venv', 'bin', 'python') },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const [SAMPLES, EPOCHS, FEATURES, CLASSES] = [Number(opts.samples), Number(opts.epochs), 16, 4];
const work = opts.out ?? (await mkdtemp(join(tmpdir(), 'dl-scale-out-')));
await mkdir(join(work, 'data'), { recursive: true });
const log = (line: string) => (opts.json ? undefined : console.log(line));

// 1. The data: four Gaussian clusters in 16 dimensions (chance: 25%), a training part and a held-out part.
setSeed(1);
const centers = tf.mul(tf.randomNormal([CLASSES, FEATURES], 0, 1, 'float32', 1), 0.5);
const labels = tf.cast(tf.floor(tf.randomUniform([SAMPLES + 512], 0, CLASSES, 'float32', 2)), 'int32');
const points = tf.add(tf.gather(centers, labels), tf.randomNormal([SAMPLES + 512, FEATURES], 0, 1, 'float32', 3));
const [xTrain, xTest] = tf.split(points, [SAMPLES, 512]);
const [yTrain, yTest] = tf.split(labels, [SAMPLES, 512]);

// 2. dl builds the model and trains it briefly, then exports it with its compile settings and Adam's state.
const model = sequential([
  layers.dense({ units: 32, activation: 'relu', inputShape: [FEATURES] }),
  layers.dense({ units: 32, activation: 'relu' }),
  layers.dense({ units: CLASSES, activation: 'softmax' }),
]);
model.compile({ optimizer: { name: 'adam', learningRate: 0.005 }, loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
await model.fit(tf.slice(xTrain!, 0, 256), tf.slice(yTrain!, 0, 256), { epochs: 1, batchSize: 32, verbose: 0 });
const before = (await model.evaluate(xTest!, yTest!)).accuracy as number;
await model.save(join(work, 'model.keras'));
log(`dl: trained on 256 samples, test accuracy ${before.toFixed(3)}; exported ${join(work, 'model.keras')}`);

// 3. Two TensorFlow workers train it on all the training data, each on half of every global batch.
await writeNpy(join(work, 'data', 'x.npy'), xTrain!);
await writeNpy(join(work, 'data', 'y.npy'), yTrain!);
await writeNpy(join(work, 'data', 'x_eval.npy'), xTest!);
if (!existsSync(opts.python)) throw new Error(`no Python at ${opts.python}: pass --python PATH (with tensorflow and keras 3)`);
const ports = [await freePort(), await freePort()];
const cluster = { worker: ports.map((p) => `localhost:${p}`) };
const started = Date.now();
await Promise.all(
  [0, 1].map((index) =>
    runWorker(index, {
      ...process.env,
      TF_CONFIG: JSON.stringify({ cluster, task: { type: 'worker', index } }),
      TF_CPP_MIN_LOG_LEVEL: '2',
      CUDA_VISIBLE_DEVICES: '',
      OMP_NUM_THREADS: '1',
    }),
  ),
);
log(`TensorFlow: two workers (${cluster.worker.join(', ')}) trained ${EPOCHS} epoch(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`);

// 4. dl imports what worker 0 saved: compiled, with Adam's state, ready to evaluate or train on.
const trained = await loadModel(join(work, 'out', 'model.keras'));
const accuracy = (await trained.evaluate(xTest!, yTest!)).accuracy as number;
const predicted = trained.predict(xTest!) as Tensor;
const mine = predicted.dataSync();
const [p0, p1] = [await readNpy(join(work, 'out', 'predictions-0.npy')), await readNpy(join(work, 'out', 'predictions-1.npy'))];
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]!)));
const result = {
  accuracy,
  accuracyBefore: before,
  chance: 1 / CLASSES,
  maxAbsDiffToWorkers: maxDiff(mine, p0),
  workersMaxAbsDiff: maxDiff(p0, p1),
  work,
};
log(`dl: imported the trained model; test accuracy ${accuracy.toFixed(3)} (chance ${result.chance})`);
log(
  `predictions: dl vs Keras worker 0 max abs difference ${result.maxAbsDiffToWorkers.toExponential(2)}; worker 0 vs worker 1 ${result.workersMaxAbsDiff.toExponential(2)}`,
);
if (opts.json) console.log(JSON.stringify(result));
tf.dispose([centers, labels, points, xTrain!, xTest!, yTrain!, yTest!, predicted]);
if (opts.out === undefined) await rm(work, { recursive: true, force: true });

/** One worker process; its stdout lines are shown, its stderr only when it fails. */
function runWorker(index: number, env: NodeJS.ProcessEnv): Promise<void> {
  const args = [join(here, 'scale_out_worker.py'), '--model', join(work, 'model.keras'), '--data', join(work, 'data')];
  args.push('--out', join(work, 'out'), '--epochs', String(EPOCHS));
  const child = spawn(opts.python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => log(d.toString().trimEnd()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`worker ${index} exited with ${code}:\n${stderr.split('\n').slice(-15).join('\n')}`)),
    );
  });
}

/** A TCP port free now (the OS picks it), for a worker to listen on. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A float32 or int32 tensor as a NumPy .npy file (format 1.0). */
async function writeNpy(file: string, t: Tensor): Promise<void> {
  const descr = t.dtype === 'int32' ? '<i4' : '<f4';
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${t.shape.join(', ')}${t.shape.length === 1 ? ',' : ''}), }`;
  header = `${header.padEnd(Math.ceil((header.length + 11) / 64) * 64 - 11, ' ')}\n`;
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head.writeUInt8(1, 6);
  head.writeUInt8(0, 7);
  head.writeUInt16LE(header.length, 8);
  const data = t.dataSync();
  await writeFile(file, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

/** The values of a float32 .npy file NumPy wrote. */
async function readNpy(file: string): Promise<Float32Array> {
  const bytes = await readFile(file);
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  if (!header.includes("'<f4'")) throw new Error(`${file}: expected float32 values, the header says ${header.trim()}`);
  const body = bytes.subarray(10 + headerLength);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
}
