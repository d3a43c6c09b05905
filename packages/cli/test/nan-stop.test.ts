// A run whose loss becomes NaN or infinite stops with a clear message (TerminateOnNaN, on by default in `dl train`),
// and no diverged epoch is saved as a checkpoint, a model or metrics.
import { existsSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readJson, STACK_LINE, writeRealMnistSlice, type RunResult, tempFolderForFile, dlIn } from './run-dl.js';

let root: string;
let dataDir: string;
const dl = dlIn(() => root);

tempFolderForFile(async (dir) => {
  root = dir;
  dataDir = join(root, 'mnist-slice');
  await writeRealMnistSlice(dataDir, { train: 640, test: 100 });
});

describe('dl train with a loss that diverges', () => {
  let out: string;
  let run: RunResult;

  beforeAll(async () => {
    out = join(root, 'diverged');
    // Adam moves every weight by about the learning rate per step: 1e30 overflows float32 within a few batches.
    run = await dl(
      'train',
      'cnn',
      '--epochs',
      '3',
      '--batch-size',
      '64',
      '--learning-rate',
      '1e30',
      '--data-dir',
      dataDir,
      '--out',
      out,
      '--seed',
      '1',
    );
  });

  it('stops in the first epoch with an error naming the epoch and batch and what to do, without a stack trace', () => {
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/the loss became NaN or infinite at epoch 1, batch \d+: training stopped\. Lower the learning rate/);
    expect(run.stderr).toMatch(/no epoch finished, so there is no checkpoint to resume from/);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('records the learning rate in run.json and saves no checkpoint, model or metrics of the diverged epoch', async () => {
    expect(await readJson(join(out, 'run.json'))).toMatchObject({ preset: 'cnn', learningRate: 1e30 });
    expect(existsSync(join(out, 'checkpoint'))).toBe(false);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
    expect((await readdir(out)).filter((f) => f.startsWith('model') || f.startsWith('weights'))).toEqual([]);
  });

  it('diverging after a good epoch names the checkpoint that exists, and keeps it', async () => {
    const good = join(root, 'good-then-diverged');
    const first = await dl('train', 'cnn', '--epochs', '1', '--batch-size', '64', '--data-dir', dataDir, '--out', good, '--seed', '1');
    expect(first.code, first.stderr).toBe(0);
    // The second epoch at an overflowing learning rate (run.json is where --resume reads it from).
    const config = await readJson(join(good, 'run.json'));
    await writeFile(join(good, 'run.json'), JSON.stringify({ ...config, learningRate: 1e30 }));
    const resumed = await dl('train', '--resume', good, '--epochs', '2');
    expect(resumed.code, resumed.stderr).toBe(1);
    expect(resumed.stderr).toMatch(/at epoch 2, batch \d+: training stopped/);
    expect(resumed.stderr).toContain(`the last good checkpoint (after epoch 1) is in ${join(good, 'checkpoint')}`);
    expect(existsSync(join(good, 'checkpoint'))).toBe(true);
  });

  it('the same run at the default learning rate trains: the divergence came from --learning-rate', async () => {
    const sane = await dl(
      'train',
      'cnn',
      '--epochs',
      '1',
      '--batch-size',
      '64',
      '--data-dir',
      dataDir,
      '--out',
      join(root, 'sane'),
      '--seed',
      '1',
      '--json',
    );
    expect(sane.code, sane.stderr).toBe(0);
    expect(Number.isFinite((await readJson(join(root, 'sane', 'metrics.json'))).loss)).toBe(true);
  });
});

describe('--learning-rate', () => {
  it.each(['0', '-1e-3', 'fast', 'Infinity'])('refuses %s with a usage error (exit 2)', async (value) => {
    const r = await dl('train', 'cnn', '--learning-rate', value, '--data-dir', dataDir, '--out', join(root, `bad-${value}`));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--learning-rate`);
    expect(r.stderr).toContain('expected a number > 0');
    expect(existsSync(join(root, `bad-${value}`))).toBe(false);
  });
});
