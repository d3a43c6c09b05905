// `dl export` of image models (cnn, the GAN's generator) end to end: sizes per quantization, plain TF.js on its CPU
// backend predicting as dl does, `dl evaluate` of an export measuring what quantization costs, and the usage errors
// (exit 2, nothing written or left behind).
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, tf } from '@dl/core';
import { mnist } from '@dl/data';
import type { DlModelJson } from '@dl/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { plainTfjsPredict } from './plain-tfjs.js';
import { assertBuildIsFresh, lastJsonLine, readJson, runDl, STACK_LINE, tempDir, writeRealMnistSlice, type RunResult } from './run-dl.js';

const CNN_PARAMETERS = 93_322;
const TEST_IMAGES = 100;

let root: string;
let dataDir: string;
let cnnRun: string;
const dl = (...args: string[]): Promise<RunResult> => runDl(args, { cwd: root, env: { DL_DATASETS_DIR: join(root, 'empty-cache') } });

beforeAll(async () => {
  await assertBuildIsFresh();
  root = await tempDir();
  dataDir = join(root, 'mnist-slice');
  cnnRun = join(root, 'cnn-run');
  await writeRealMnistSlice(dataDir, { train: 3000, test: TEST_IMAGES });
  const trained = await dl('train', 'cnn', '--epochs', '1', '--data-dir', dataDir, '--out', cnnRun, '--seed', '1', '--quiet');
  expect(trained.code, trained.stderr).toBe(0);
  for (const q of ['float32', 'float16', 'uint8']) {
    const result = await dl('export', cnnRun, '--out', join(root, `cnn-${q}`), ...(q === 'float32' ? [] : ['--quantize', q]), '--json');
    expect(result.code, result.stderr).toBe(0);
  }
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** What is left in `dir` besides `keep`: temp folders of an export would show here. */
async function leftovers(dir: string, keep: string[]): Promise<string[]> {
  return (await readdir(dir)).filter((name) => !keep.includes(name));
}

describe('dl export of a cnn run', () => {
  it('writes model.json, one shard without optimizer state (93,322 × 4 bytes), and dl-model.json', async () => {
    const out = join(root, 'cnn-float32');
    expect((await readdir(out)).sort()).toEqual(['dl-model.json', 'group1-shard1of1.bin', 'model.json']);
    expect((await stat(join(out, 'group1-shard1of1.bin'))).size).toBe(CNN_PARAMETERS * 4);
    const modelJson = await readJson(join(out, 'model.json'));
    expect(modelJson['format']).toBe('layers-model');
    expect(modelJson).not.toHaveProperty('dlCompile');
    const weights = (modelJson['weightsManifest'] as { weights: { group?: string }[] }[])[0]!.weights;
    expect(weights.some((w) => w.group === 'optimizer')).toBe(false);
    const meta = (await readJson(join(out, 'dl-model.json'))) as unknown as DlModelJson;
    expect(meta).toMatchObject({
      format: 'dl-export',
      version: 1,
      preset: 'cnn',
      kind: 'image-classifier',
      inputShape: [28, 28, 1],
      inputDtype: 'float32',
      output: { type: 'probabilities', shape: [10] },
      labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      pixelRange: [0, 1],
      quantization: 'float32',
      parameters: CNN_PARAMETERS,
      weightBytes: CNN_PARAMETERS * 4,
      source: { dir: cnnRun },
    });
    expect(meta.createdBy).toMatch(/^dl \d+\.\d+\.\d+/);
    // The run's own save carries Adam's moments: the export is a third of it.
    const runBin = (await readdir(cnnRun)).find((f) => f.endsWith('.bin'))!;
    expect((await stat(join(cnnRun, runBin))).size).toBeGreaterThan(2.9 * CNN_PARAMETERS * 4);
  });

  it('float16 halves and uint8 quarters the weights, with quantization entries in the manifest', async () => {
    for (const [q, bytes] of [
      ['float16', 2],
      ['uint8', 1],
    ] as const) {
      const out = join(root, `cnn-${q}`);
      expect((await stat(join(out, 'group1-shard1of1.bin'))).size).toBe(CNN_PARAMETERS * bytes);
      const meta = await readJson(join(out, 'dl-model.json'));
      expect(meta).toMatchObject({ quantization: q, weightBytes: CNN_PARAMETERS * bytes });
      const weights = (
        (await readJson(join(out, 'model.json')))['weightsManifest'] as { weights: { quantization?: { dtype: string } }[] }[]
      )[0]!.weights;
      expect(weights.every((w) => w.quantization?.dtype === q)).toBe(true);
    }
  });

  it("plain @tensorflow/tfjs on the CPU backend loads each export and predicts 100 MNIST test images as dl's predict does", async () => {
    const [, [images]] = await mnist.loadData({ dataDir });
    const meta = (await readJson(join(root, 'cnn-float32', 'dl-model.json'))) as unknown as DlModelJson;
    const [lo, hi] = meta.pixelRange!;
    const x = Float32Array.from(images.data, (p) => lo + (p * (hi - lo)) / 255);
    const shape = [TEST_IMAGES, ...meta.inputShape];
    const model = await loadModel(cnnRun);
    const output = model.predict(tf.tensor(x, shape));
    const reference = Array.from(output.dataSync());
    output.dispose();
    const argmax = (p: number[], i: number) => {
      const row = p.slice(i * 10, i * 10 + 10);
      return row.indexOf(Math.max(...row));
    };
    for (const [q, tolerance] of [
      ['float32', 1e-5],
      ['float16', 5e-3],
      ['uint8', 5e-2],
    ] as const) {
      const plain = await plainTfjsPredict(join(root, `cnn-${q}`), x, shape, 'float32');
      expect(plain.backend).toBe('cpu');
      expect(plain.shape).toEqual([TEST_IMAGES, 10]);
      const worst = Math.max(...plain.predictions.map((p, i) => Math.abs(p - reference[i]!)));
      expect(worst, q).toBeLessThan(tolerance);
      let same = 0;
      for (let i = 0; i < TEST_IMAGES; i++) if (argmax(plain.predictions, i) === argmax(reference, i)) same++;
      expect(same, q).toBeGreaterThanOrEqual(q === 'float32' ? TEST_IMAGES : 99);
    }
  });

  it('dl evaluate of an export: float32 as the run; uint8 with the measured accuracy change against the float32 source', async () => {
    const run = await readJson(join(cnnRun, 'metrics.json')); // the run's own test metrics, on the same 100 images
    const f32 = await dl('evaluate', join(root, 'cnn-float32'), '--data-dir', dataDir, '--json');
    expect(f32.code, f32.stderr).toBe(0);
    expect(lastJsonLine(f32.stdout)['accuracy']).toBe(run['accuracy']);
    expect(f32.stderr).toContain('the float32 export of cnn');
    const u8 = await dl('evaluate', join(root, 'cnn-uint8'), '--data-dir', dataDir, '--json');
    expect(u8.code, u8.stderr).toBe(0);
    const json = lastJsonLine(u8.stdout) as { accuracy: number; float32: { accuracy: number }; accuracyChange: number };
    expect(json.float32.accuracy).toBe(run['accuracy']);
    expect(json.accuracyChange).toBeCloseTo(json.accuracy - json.float32.accuracy, 10);
    expect(u8.stderr).toMatch(/Accuracy change of the uint8 quantization: [+-]\d\.\d{5} \([+-]\d+ of 100 test samples\)/);
  });

  it('dl evaluate of a quantized export whose source is gone or retrained says the change is not measured', async () => {
    const moved = join(root, 'cnn-uint8-moved');
    await cp(join(root, 'cnn-uint8'), moved, { recursive: true });
    const metaPath = join(moved, 'dl-model.json');
    const meta = await readJson(metaPath);
    await writeFile(metaPath, JSON.stringify({ ...meta, source: { ...(meta['source'] as object), dir: join(root, 'no-such-run') } }));
    const gone = await dl('evaluate', moved, '--data-dir', dataDir);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout).toContain(`not measured: its source run folder ${join(root, 'no-such-run')} is gone`);
    await writeFile(metaPath, JSON.stringify({ ...meta, source: { dir: cnnRun, float32Sha256: '0'.repeat(64) } }));
    const changed = await dl('evaluate', moved, '--data-dir', dataDir);
    expect(changed.stdout).toContain('changed since the export');
  });
});

describe('dl export of a GAN run', () => {
  it('exports the generator (its moving average) with latentDim; dl evaluate scores it and the float32 source', async () => {
    const ganRun = join(root, 'gan-run');
    const trained = await dl(
      'train',
      'gan',
      '--epochs',
      '1',
      '--batch-size',
      '64',
      '--limit',
      '384',
      '--data-dir',
      dataDir,
      '--out',
      ganRun,
      '--quiet',
    );
    expect(trained.code, trained.stderr).toBe(0);
    const out = join(root, 'gan-uint8');
    const exported = await dl('export', ganRun, '--out', out, '--quantize', 'uint8', '--json');
    expect(exported.code, exported.stderr).toBe(0);
    const meta = (await readJson(join(out, 'dl-model.json'))) as unknown as DlModelJson;
    expect(meta).toMatchObject({
      preset: 'gan',
      kind: 'gan-generator',
      inputShape: [100],
      latentDim: 100,
      output: { type: 'image', shape: [28, 28, 1], range: [-1, 1] },
      quantization: 'uint8',
    });
    expect((await stat(join(out, 'group1-shard1of1.bin'))).size).toBe(meta.parameters);
    const generator = await loadModel(join(ganRun, 'generator-ema'));
    expect(meta.parameters).toBe(generator.net.countParams());
    const scored = await dl('evaluate', out, '--data-dir', dataDir, '--samples', '100', '--classifier', cnnRun, '--json');
    expect(scored.code, scored.stderr).toBe(0);
    expect(scored.stderr).toMatch(/uint8 export \(100\)\s+\d+\.\d+ ± \d+\.\d+/);
    expect(scored.stderr).toMatch(/float32 source \(100\)\s+\d+\.\d+ ± \d+\.\d+/);
    expect(scored.stderr).toMatch(/Inception Score change of the uint8 quantization: [+-]\d+\.\d{3}/);
    const json = lastJsonLine(scored.stdout) as { generated: { samples: number }; float32: { generated: { samples: number } } };
    expect(json.generated.samples).toBe(100);
    expect(json.float32.generated.samples).toBe(100);
  });
});

describe('dl export usage errors: exit 2, a clear message, nothing written or left behind', () => {
  it('refuses a folder that is not a dl run, an unknown --quantize, a missing --out', async () => {
    const empty = join(root, 'not-a-run');
    await mkdir(empty);
    const notRun = await dl('export', empty, '--out', join(root, 'x1'));
    expect(notRun.code).toBe(2);
    expect(notRun.stderr).toContain(`${join(empty, 'model.json')}: not found: give the folder of a run written by \`dl train\``);
    expect(notRun.stderr).not.toMatch(STACK_LINE);
    const badQ = await dl('export', cnnRun, '--out', join(root, 'x2'), '--quantize', 'int4');
    expect(badQ.code).toBe(2);
    expect(badQ.stderr).toMatch(/--quantize.*'int4' is invalid.*float16, uint8/);
    const noOut = await dl('export', cnnRun);
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toContain('--out OUT is required');
    const again = await dl('export', join(root, 'cnn-float32'), '--out', join(root, 'x3'));
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('is an export already');
    expect(existsSync(join(root, 'x1')) || existsSync(join(root, 'x2')) || existsSync(join(root, 'x3'))).toBe(false);
  });

  it('never writes into a folder that is not empty, nor over a file; an empty folder is taken', async () => {
    const busy = join(root, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'notes.txt'), 'mine');
    const refused = await dl('export', cnnRun, '--out', busy);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`out ${busy} is not empty (it holds notes.txt)`);
    expect(await readdir(busy)).toEqual(['notes.txt']);
    expect(await readFile(join(busy, 'notes.txt'), 'utf8')).toBe('mine');
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    const onFile = await dl('export', cnnRun, '--out', file);
    expect(onFile.code).toBe(2);
    expect(onFile.stderr).toContain('is a file, not a folder');
    const emptyOut = join(root, 'empty-out');
    await mkdir(emptyOut);
    const taken = await dl('export', cnnRun, '--out', emptyOut);
    expect(taken.code, taken.stderr).toBe(0);
    expect((await readdir(emptyOut)).sort()).toEqual(['dl-model.json', 'group1-shard1of1.bin', 'model.json']);
    expect((await readdir(root)).filter((n) => n.includes('.export-'))).toEqual([]);
  });

  it('a run folder whose weights cannot be read: exit 2 naming the file, nothing left behind', async () => {
    // A model.json whose weights file is a folder: the run loads (the check is by path), but reading it fails.
    const broken = join(root, 'broken-parent');
    await mkdir(broken);
    const brokenRun = join(broken, 'run');
    await cp(cnnRun, brokenRun, { recursive: true });
    const bin = (await readdir(brokenRun)).find((f) => f.endsWith('.bin'))!;
    await rm(join(brokenRun, bin));
    await mkdir(join(brokenRun, bin));
    const failed = await dl('export', brokenRun, '--out', join(broken, 'out'));
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain(bin);
    expect(failed.stderr).not.toMatch(STACK_LINE);
    expect(await leftovers(broken, ['run'])).toEqual([]);
  });
});
