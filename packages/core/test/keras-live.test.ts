/**
 * The .keras reader against the Keras installed now, not only the committed fixtures: make_fixtures.py writes fresh
 * models and Keras's predictions into a temp folder with the bench's venv (bench/.venv, see bench/README.md), and dl
 * must match them within 1e-5. `pnpm test` makes the venv first (scripts/ensure-keras-venv.ts); without it (no pip
 * index) the test is skipped with one line saying how to make it, and under CI that script fails the run instead.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModel, type Tensor, tf } from '../src/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const PYTHON = join(ROOT, 'bench', '.venv', 'bin', 'python');
// The bench writes this marker once tensorflow and keras import (bench/lib/venv.ts): a half-made venv is not used.
const READY = existsSync(join(ROOT, 'bench', '.venv', '.dl-bench-ready'));
if (!READY) console.log('keras-live: skipped, no bench/.venv (make it with `npx tsx scripts/ensure-keras-venv.ts`)');

interface Expected {
  keras: string;
  [name: string]: unknown;
}

describe.skipIf(!READY)('loadModel of .keras files written now by the installed Keras 3', () => {
  let dir: string;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('matches every fixture model Keras saves (.keras and legacy .h5) within 1e-5', { timeout: 300_000 }, async () => {
    dir = await mkdtemp(join(tmpdir(), 'dl-keras-live-'));
    const script = join(import.meta.dirname, 'fixtures', 'keras', 'make_fixtures.py');
    const r = spawnSync(PYTHON, [script, '--out', dir], {
      encoding: 'utf8',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', CUDA_VISIBLE_DEVICES: '', OMP_NUM_THREADS: '1' },
    });
    expect(r.status, r.stderr.split('\n').slice(-8).join('\n')).toBe(0);
    const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
    expect(expected.keras).toMatch(/^3\./);
    const names = Object.keys(expected).filter((k) => k !== 'keras');
    expect(names.length).toBeGreaterThanOrEqual(13); // .keras files, and legacy .h5 ones in Keras 3's and Keras 2's layout
    for (const name of names) {
      const e = expected[name] as {
        file: string;
        inputs: { shape: number[]; dtype: string; values: number[] }[];
        outputs: { shape: number[]; values: number[] }[];
      };
      const model = await loadModel(join(dir, e.file));
      const inputs = e.inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype.startsWith('int') ? 'int32' : 'float32'));
      const predicted = model.predict(inputs.length === 1 ? inputs[0]! : inputs) as Tensor | Tensor[];
      const outs = Array.isArray(predicted) ? predicted : [predicted];
      const diff = Math.max(
        ...outs.flatMap((out, k) => {
          const values = out.dataSync();
          return e.outputs[k]!.values.map((v, i) => Math.abs(v - values[i]!));
        }),
      );
      tf.dispose([...inputs, ...outs]);
      model.net.dispose();
      console.log(`keras-live ${name} (Keras ${expected.keras}): max abs difference ${diff.toExponential(2)}`);
      expect(diff, name).toBeLessThan(1e-5);
    }
  });
});
