// `dl train gan`, `dl train --resume` of a GAN run, `dl generate` and `dl evaluate` of a GAN, on a small MNIST slice.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseNpy } from 'npyjs';
import { describe, expect, it } from 'vitest';
import { lastJsonLine, readJson, STACK_LINE, writeRealMnistSlice, type RunResult, tempFolderForFile, dlIn } from './run-dl.js';

let root: string;
let dataDir: string;
let out: string;
let trained: RunResult;
const dl = dlIn(() => root);

tempFolderForFile(async (dir) => {
  root = dir;
  dataDir = join(root, 'mnist-slice');
  out = join(root, 'gan-run');
  await writeRealMnistSlice(dataDir, { train: 384, test: 300 });
  trained = await dl('train', 'gan', '--epochs', '1', '--batch-size', '64', '--data-dir', dataDir, '--out', out, '--seed', '1', '--json');
});

/** Width and height from a PNG's IHDR chunk. */
function pngSize(bytes: Buffer): [number, number] {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

describe('dl train gan', () => {
  it('trains through fit with both losses and saves generator/ and discriminator/ in TF.js layers format', async () => {
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stderr).toMatch(/d_loss: [\d.]+ - g_loss: [\d.]+/);
    const result = lastJsonLine(trained.stdout);
    expect(result).toMatchObject({ preset: 'gan', epochs: 1 });
    expect(typeof result['d_loss']).toBe('number');
    for (const net of ['generator', 'discriminator']) {
      const json = await readJson(join(out, net, 'model.json'));
      expect(json['format']).toBe('layers-model');
      expect((json['modelTopology'] as { config: { name: string } }).config.name).toBe(net);
      expect(existsSync(join(out, 'checkpoint', net, 'model.json'))).toBe(true);
    }
    expect(Object.keys(await readJson(join(out, 'metrics.json'))).sort()).toEqual(['d_loss', 'g_loss']);
    // The moving average of the generator's weights, which samples come from, saved and checkpointed beside it.
    const average = await readJson(join(out, 'generator-ema', 'model.json'));
    expect((average['userDefinedMetadata'] as { movingAverage: { momentum: number; updates: number } }).movingAverage).toMatchObject({
      momentum: 0.999,
    });
    expect(existsSync(join(out, 'checkpoint', 'generator-ema', 'model.json'))).toBe(true);
  });

  it('writes a PNG grid of 64 samples after the epoch', async () => {
    expect(pngSize(await readFile(join(out, 'samples', 'epoch-001.png')))).toEqual([8 * 30 + 2, 8 * 30 + 2]);
  });

  it('--resume continues the run from its checkpoint with both networks', async () => {
    const resumed = await dl('train', '--resume', out, '--epochs', '2', '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain('after epoch 1 of 2');
    expect(resumed.stderr.split('\n').filter((l) => /^Epoch \d+\/\d+$/.test(l))).toEqual(['Epoch 2/2']);
    const history = (await readJson(join(out, 'history.json'))) as { epoch: number[]; history: Record<string, number[]> };
    expect(history.epoch).toEqual([0, 1]);
    expect(history.history['g_loss']).toHaveLength(2);
    expect(existsSync(join(out, 'samples', 'epoch-002.png'))).toBe(true);
  });
});

describe('dl generate', () => {
  it('writes a PNG grid, or raw samples in [-1, 1] as .json or .npy; --seed makes them reproducible', async () => {
    const png = await dl('generate', out, '--n', '10', '--seed', '3', '--out', join(root, 'g.png'));
    expect(png.code, png.stderr).toBe(0);
    expect(png.stdout).toContain(`samples of ${join(out, 'generator-ema')}`);
    expect(pngSize(await readFile(join(root, 'g.png')))).toEqual([4 * 30 + 2, 3 * 30 + 2]);

    const json = await dl('generate', out, '--n', '3', '--seed', '3', '--out', join(root, 'g.json'));
    expect(json.code, json.stderr).toBe(0);
    const samples = JSON.parse(await readFile(join(root, 'g.json'), 'utf8')) as { shape: number[]; range: number[]; data: number[][][][] };
    expect(samples.shape).toEqual([3, 28, 28, 1]);
    expect(samples.data).toHaveLength(3);
    expect(samples.data[0]![27]![27]).toHaveLength(1);
    expect(samples.data.flat(3).every((v) => v >= -1 && v <= 1)).toBe(true);

    const npyRun = await dl('generate', out, '--n', '3', '--seed', '3', '--out', join(root, 'g.npy'));
    expect(npyRun.code, npyRun.stderr).toBe(0);
    const bytes = await readFile(join(root, 'g.npy'));
    const npy = parseNpy(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    expect(npy.dtype).toBe('f4');
    expect(npy.shape).toEqual([3, 28, 28, 1]);
    // Another process with the same seed made the same samples: the .npy holds what the .json holds.
    const fromNpy = Array.from(npy.data as Float32Array);
    const fromJson = samples.data.flat(3);
    expect(fromNpy).toHaveLength(fromJson.length);
    expect(fromNpy.every((v, i) => Math.abs(v - fromJson[i]!) < 1e-6)).toBe(true);
  });

  it('fails with a usage error for an unknown extension, a folder without a generator or an existing --out file', async () => {
    const badExt = await dl('generate', out, '--out', join(root, 'x.gif'));
    expect(badExt.code).toBe(2);
    expect(badExt.stderr).toMatch(/\.png, \.json, \.npy/);
    const noModel = await dl('generate', root, '--out', join(root, 'x.png'));
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toContain('dl train gan');
    // A file at --out (the user's, for all dl knows) is never written over: exit 2 before any sampling, its bytes kept.
    const mine = join(root, 'mine.png');
    await writeFile(mine, 'my picture');
    const clash = await dl('generate', out, '--out', mine);
    expect(clash.code).toBe(2);
    expect(clash.stderr).toContain(`--out ${mine} exists: dl does not write over it`);
    expect(await readFile(mine, 'utf8')).toBe('my picture');
  });
});

describe('dl evaluate of a GAN run', () => {
  it('prints the Inception Score and Fréchet distance of generated samples beside real test images', async () => {
    const result = await dl('evaluate', out, '--data-dir', dataDir, '--samples', '300', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/Inception Score\s+Fréchet distance/);
    expect(result.stderr).toMatch(/generated \(300\)\s+\d+\.\d+ ± \d+\.\d+\s+\d+\.\d+/);
    expect(result.stderr).toMatch(/real test \(300\)/);
    // No cached classifier in the empty cache and only a slice of MNIST: one is trained for this run, not cached.
    expect(result.stderr).toContain('Not caching the classifier');
    const json = lastJsonLine(result.stdout) as {
      generated: Record<string, number>;
      real: Record<string, number>;
      generator: string;
      classifier: string | null;
    };
    expect(json.classifier).toBeNull();
    expect(json.generator).toBe(join(out, 'generator-ema'));
    expect(json.real['inceptionScore']).toBeGreaterThan(json.generated['inceptionScore']!);
    expect(json.real['frechetDistance']).toBeLessThan(json.generated['frechetDistance']!);
    expect(existsSync(join(root, 'empty-cache', 'mnist-classifier'))).toBe(false);
  });

  it('--classifier of a model that is not a 28×28×1 → 10 classifier: exit 2 naming the folder and the shapes expected', async () => {
    const wrong = join(out, 'discriminator'); // takes MNIST images but gives one logit, not 10 class probabilities
    const r = await dl('evaluate', out, '--data-dir', dataDir, '--samples', '300', '--classifier', wrong);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`--classifier ${wrong} takes [null,28,28,1] and gives [null,1]`);
    expect(r.stderr).toContain('[null, 28, 28, 1] images and giving [null, 10] class probabilities');
    expect(r.stderr).not.toMatch(STACK_LINE);
    const missing = join(root, 'no-classifier');
    const none = await dl('evaluate', out, '--data-dir', dataDir, '--classifier', missing);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`--classifier ${missing}: no model.json there`);
  });
});
