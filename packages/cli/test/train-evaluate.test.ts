// End to end on a small slice of the real MNIST: dl train → files on disk → dl evaluate reproduces the metrics.
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, readJson, writeRealMnistSlice, type RunResult, tempFolderForFile, dlIn } from './run-dl.js';

const TRAIN = 2000;
const TEST = 1000;

let root: string;
let dataDir: string;
const dl = dlIn(() => root);

tempFolderForFile(async (dir) => {
  root = dir;
  dataDir = join(root, 'mnist-slice');
  await writeRealMnistSlice(dataDir, { train: TRAIN, test: TEST });
});

describe('dl train cnn → dl evaluate', () => {
  let out: string;
  let train: RunResult;
  let line: Record<string, unknown>;

  beforeAll(async () => {
    out = join(root, 'run-1');
    train = await dl('train', 'cnn', '--epochs', '1', '--data-dir', dataDir, '--out', out, '--json', '--seed', '1');
    if (train.code === 0) line = lastJsonLine(train.stdout);
  });

  it('exits 0 with one JSON line on stdout holding loss and accuracy', () => {
    expect(train.code, train.stderr).toBe(0);
    expect(train.stdout.trim().split('\n')).toHaveLength(1);
    expect(line).toMatchObject({ preset: 'cnn', out, epochs: 1 });
    expect(line['loss']).toEqual(expect.any(Number));
    expect(line['accuracy']).toEqual(expect.any(Number));
    expect(Number.isFinite(line['loss'])).toBe(true);
    // 32 steps on 2,000 samples: well above chance (0.1), if not yet good.
    expect(line['accuracy']).toBeGreaterThan(0.5);
    expect(line['accuracy']).toBeLessThanOrEqual(1);
  });

  it('sends the human-readable progress to stderr with --json', () => {
    expect(train.stderr).toContain(`MNIST: dataDir (${dataDir})`);
    expect(train.stderr).toContain(`Training 'cnn' on ${TRAIN} samples for 1 epochs`);
    expect(train.stderr).toContain('Epoch 1/1');
    expect(train.stderr).toContain(`(${TEST} samples)`);
  });

  it('writes model.json, its weights file, history.json, metrics.json, run.json and the last checkpoint, and nothing half-written', async () => {
    const files = (await readdir(out)).sort();
    expect(files).toHaveLength(6);
    expect(files.slice(0, 5)).toEqual(['checkpoint', 'history.json', 'metrics.json', 'model.json', 'run.json']);
    expect(files[5]).toMatch(/^weights-[0-9a-f]{16}\.bin$/);
    const model = await readJson(join(out, 'model.json'));
    expect(model['userDefinedMetadata']).toEqual({ preset: 'cnn', dataset: 'mnist' });
    expect(model).toHaveProperty('modelTopology');
    expect(model).toHaveProperty('weightsManifest');
  });

  it("history.json has Keras's History layout, one entry per epoch", async () => {
    const history = await readJson(join(out, 'history.json'));
    expect(history['epoch']).toEqual([0]);
    const h = history['history'] as Record<string, number[]>;
    expect(h['loss']).toHaveLength(1);
    expect(h['accuracy']).toHaveLength(1);
    expect(h['loss']![0]).toBeGreaterThan(0);
    expect(h['accuracy']![0]).toBeGreaterThan(0.1);
    // The preset's learning-rate schedule ran: epoch 0 of 1 is at its 2e-3 peak.
    expect(h['learningRate']).toEqual([expect.closeTo(2e-3, 9)]);
    expect(history['epochSeconds']).toEqual([expect.any(Number)]);
    expect((history['epochSeconds'] as number[])[0]).toBeGreaterThan(0);
  });

  it('metrics.json holds the same loss and accuracy as the JSON line', async () => {
    const metrics = await readJson(join(out, 'metrics.json'));
    expect(metrics).toEqual({ loss: line['loss'], accuracy: line['accuracy'] });
  });

  it('dl evaluate reproduces the saved accuracy within 0.001', async () => {
    const metrics = await readJson(join(out, 'metrics.json'));
    const r = await dl('evaluate', out, '--data-dir', dataDir, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const evaluated = lastJsonLine(r.stdout);
    expect(Math.abs((evaluated['accuracy'] as number) - (metrics['accuracy'] as number))).toBeLessThanOrEqual(0.001);
    expect(evaluated['loss']).toBeCloseTo(metrics['loss'] as number, 3);
  });

  it('dl evaluate without --json prints the metrics on stdout', async () => {
    const r = await dl('evaluate', out, '--data-dir', dataDir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Test loss: \d+\.\d{4} - accuracy: \d\.\d{4} \(1000 samples, cnn from /m);
  });

  it('dl evaluate with a bad --data-dir exits 2 naming the file', async () => {
    const r = await dl('evaluate', out, '--data-dir', join(root, 'nowhere'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(root, 'nowhere'));
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('dl evaluate on a model.json without dl train metadata is a usage error', async () => {
    // A TF.js model saved by something other than `dl train`: evaluate cannot know its preset.
    const foreign = join(root, 'foreign-model');
    await mkdir(foreign);
    const model = await readJson(join(out, 'model.json'));
    delete model['userDefinedMetadata'];
    await writeFile(join(foreign, 'model.json'), JSON.stringify(model));
    for (const f of await readdir(out)) if (f.endsWith('.bin')) await copyFile(join(out, f), join(foreign, f));
    const r = await dl('evaluate', foreign, '--data-dir', dataDir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(join(foreign, 'model.json'));
    expect(r.stderr).toContain('preset');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe('dl train --limit, --quiet and --seed', () => {
  let human: RunResult;
  let quiet: RunResult;
  const outHuman = () => join(root, 'limit-human');
  const outQuiet = () => join(root, 'limit-quiet');

  beforeAll(async () => {
    // The same seeded 500-sample run twice: once with its human-readable output, once --quiet.
    human = await dl('train', 'cnn', '--epochs', '1', '--limit', '500', '--seed', '7', '--data-dir', dataDir, '--out', outHuman());
    quiet = await dl(
      'train',
      'cnn',
      '--epochs',
      '1',
      '--limit',
      '500',
      '--seed',
      '7',
      '--data-dir',
      dataDir,
      '--out',
      outQuiet(),
      '--quiet',
    );
  });

  it('--limit 500 trains on 500 samples', () => {
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("Training 'cnn' on 500 samples for 1 epochs (batch size 64)");
    // ceil(500 / 64) = 8 steps per epoch, as the progress line counts them; the test split is not limited.
    expect(human.stdout).toMatch(/^8\/8 - /m);
    expect(human.stdout).toContain(`(${TEST} samples)`);
    expect(human.stdout).toMatch(/^Test loss: /m);
    expect(human.stdout).toContain(`saved to ${outHuman()}`);
  });

  it('--quiet prints nothing on stdout and still saves the run', () => {
    expect(quiet.code, quiet.stderr).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).not.toMatch(/Training|Epoch|MNIST:|Test loss/);
    expect(existsSync(join(outQuiet(), 'model.json'))).toBe(true);
    expect(existsSync(join(outQuiet(), 'metrics.json'))).toBe(true);
  });

  it('--seed makes the run reproducible', async () => {
    const a = await readJson(join(outHuman(), 'metrics.json'));
    const b = await readJson(join(outQuiet(), 'metrics.json'));
    expect(b['accuracy']).toBeCloseTo(a['accuracy'] as number, 6);
    expect(b['loss']).toBeCloseTo(a['loss'] as number, 5);
  });

  it('--quiet with --json prints only the JSON line', async () => {
    const r = await dl('evaluate', outQuiet(), '--data-dir', dataDir, '--quiet', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(lastJsonLine(r.stdout)).toHaveProperty('accuracy');
  });

  it('dl evaluate --quiet prints nothing on stdout', async () => {
    const r = await dl('evaluate', outQuiet(), '--data-dir', dataDir, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
  });
});

describe('with --data-dir', () => {
  it('no run touched the dataset cache', () => {
    // Every command above ran with DL_DATASETS_DIR pointing here; --data-dir must be the only source.
    expect(existsSync(join(root, 'empty-cache'))).toBe(false);
  });
});
