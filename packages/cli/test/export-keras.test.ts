// `dl export DIR --format keras --out model.keras`: a run's network as a Keras 3 file (read back here by dl's own
// .keras reader; keras-export-live.test.ts in @dl/models checks it against real Keras), and the usage errors: exit 2,
// a message naming the fix, nothing written or overwritten.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel, type Tensor, tf } from '@dl/core';
import { cnn } from '@dl/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertBuildIsFresh, dlIn, lastJsonLine, STACK_LINE, tempFolderForFile } from './run-dl.js';

let root: string;
let run: string;
const dl = dlIn(() => root);
tempFolderForFile(async (dir) => {
  root = dir;
  run = join(root, 'cnn-run');
  // What `dl train cnn` saves (untrained: what is tested is the file, not the accuracy).
  await cnn.build().save(run, { metadata: { preset: 'cnn', dataset: 'mnist' } });
});
beforeAll(assertBuildIsFresh);

describe('dl export --format keras', () => {
  it('writes the .keras file, compiled with Adam, that loads back predicting as the run', async () => {
    const out = join(root, 'cnn.keras');
    const r = await dl('export', run, '--format', 'keras', '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout)).toMatchObject({ out, preset: 'cnn', files: [{ name: 'cnn.keras', compiled: true, network: 'cnn' }] });
    expect(r.stderr).toContain('keras.saving.load_model');
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]); // no temporary files left
    const [original, exported] = [await loadModel(run), await loadModel(out)];
    expect(exported.isCompiled).toBe(true);
    const x = tf.randomUniform([4, 28, 28, 1]);
    const [a, b] = [original.predict(x) as Tensor, exported.predict(x) as Tensor];
    const diff = Math.max(...Array.from(a.dataSync(), (v, i) => Math.abs(v - b.dataSync()[i]!)));
    tf.dispose([x, a, b]);
    expect(diff).toBe(0);
  });

  it.each([
    ['an --out not ending in .keras', ['--out', 'model.h5'], /must end in \.keras/],
    ['--quantize', ['--out', 'q.keras', '--quantize', 'uint8'], /--quantize applies to --format tfjs/],
    ['no --out', [], /--out is required/],
  ])('refuses %s with exit 2, naming the fix, writing nothing', async (_what, args, message) => {
    const before = (await readdir(root)).sort();
    const r = await dl('export', run, '--format', 'keras', ...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect((await readdir(root)).sort()).toEqual(before);
  });

  it('never writes over an existing file', async () => {
    const out = join(root, 'mine.keras');
    await writeFile(out, 'my notes');
    const r = await dl('export', run, '--format', 'keras', '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/exists.*choose another/);
    expect(await readFile(out, 'utf8')).toBe('my notes');
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(existsSync(join(root, 'model.h5'))).toBe(false);
  });
});
