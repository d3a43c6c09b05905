// `dl import model.keras --out DIR` (or model.h5): a Keras file (fixtures written by real Keras 3, see
// packages/core/test/fixtures/keras/make_fixtures.py) as a dl model folder that predicts what Keras predicted.
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, type Tensor, tf } from '@dl/core';
import { dlIn, lastJsonLine, tempFolderForFile } from './run-dl.js';

const FIXTURES = resolve(import.meta.dirname, '../../core/test/fixtures/keras');
type Entry = { inputs: { shape: number[]; values: number[] }[]; outputs: { values: number[] }[] };
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Entry>;

/** The largest difference between the predictions of the model in `dir` and Keras's for fixture `name`. */
async function maxDifference(dir: string, name: string): Promise<number> {
  const model = await loadModel(dir);
  const [input] = expected[name]!.inputs;
  const x = tf.tensor(input!.values, input!.shape);
  const y = model.predict(x) as Tensor;
  const values = y.dataSync();
  const diff = Math.max(...expected[name]!.outputs[0]!.values.map((v, i) => Math.abs(v - values[i]!)));
  tf.dispose([x, y]);
  model.net.dispose();
  return diff;
}

let root: string;
const dl = dlIn(() => root);
tempFolderForFile((dir) => {
  root = dir;
});

describe('dl import', () => {
  it("writes a model folder that loadModel reads and that predicts Keras's outputs within 1e-5", async () => {
    const out = join(root, 'cnn');
    const r = await dl('import', join(FIXTURES, 'cnn.keras'), '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout)).toMatchObject({ dir: out, parameters: 295 });
    expect((await readdir(root)).filter((n) => n.startsWith('.'))).toEqual([]); // no temporary folder left
    expect(await maxDifference(out, 'cnn')).toBeLessThan(1e-5);
  });

  it('reads a legacy Keras 2 .h5 file too', async () => {
    const out = join(root, 'cnn-h5');
    const r = await dl('import', join(FIXTURES, 'keras2_cnn.h5'), '--out', out, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout)).toMatchObject({ dir: out, parameters: 295 });
    expect(JSON.parse(readFileSync(join(out, 'model.json'), 'utf8')).userDefinedMetadata).toMatchObject({
      importedFrom: { format: 'keras-h5', file: 'keras2_cnn.h5' },
    });
    expect(await maxDifference(out, 'keras2_cnn')).toBeLessThan(1e-5);
  });

  it('refuses an unsupported layer with exit 2, naming it, and writes nothing', async () => {
    const out = join(root, 'unsupported');
    const r = await dl('import', join(FIXTURES, 'unsupported.keras'), '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MultiHeadAttention.*it imports: .*Dense/);
    expect(existsSync(out)).toBe(false);
    const h5 = await dl('import', join(FIXTURES, 'legacy_unsupported.h5'), '--out', out);
    expect(h5.code).toBe(2);
    expect(h5.stderr).toMatch(/legacy_unsupported\.h5.*MultiHeadAttention.*it imports: .*Dense/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a non-empty --out with exit 2 and leaves its files alone', async () => {
    const out = join(root, 'taken');
    await mkdir(out);
    await writeFile(join(out, 'notes.txt'), 'mine');
    const r = await dl('import', join(FIXTURES, 'cnn.keras'), '--out', out);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('not empty');
    expect(await readdir(out)).toEqual(['notes.txt']);
  });
});
