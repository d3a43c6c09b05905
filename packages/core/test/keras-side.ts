/**
 * Runs real Keras 3 (the bench's venv) on files dl wrote, through fixtures/keras/keras_side.py: the tests of dl's
 * .keras writer use it (this package's keras-write-live.test.ts, @dl/models' keras-export-live.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Tensor } from '../src/index.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const PYTHON = join(ROOT, 'bench', '.venv', 'bin', 'python');
/** The bench writes this marker once tensorflow and keras import (bench/lib/venv.ts): a half-made venv is not used. */
export const KERAS_READY = existsSync(join(ROOT, 'bench', '.venv', '.dl-bench-ready'));

export interface KerasArray {
  shape: number[];
  dtype: 'float32' | 'int32';
  values: number[];
}

export function kerasArray(t: Tensor): KerasArray {
  return { shape: t.shape, dtype: t.dtype === 'int32' ? 'int32' : 'float32', values: Array.from(t.dataSync()) };
}

export interface KerasAnswer {
  keras: string;
  results: Record<string, unknown>[];
}

/** Runs the tasks (see keras_side.py) in one Python process; `dir` holds the job and answer files. */
export function runKeras(dir: string, tasks: Record<string, unknown>[]): KerasAnswer {
  const job = join(dir, 'job.json');
  const answer = join(dir, 'answer.json');
  writeFileSync(job, JSON.stringify({ tasks }));
  const r = spawnSync(PYTHON, [join(import.meta.dirname, 'fixtures', 'keras', 'keras_side.py'), job, answer], {
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2', CUDA_VISIBLE_DEVICES: '', OMP_NUM_THREADS: '1' },
  });
  if (r.status !== 0) throw new Error(`keras_side.py failed:\n${r.stderr.split('\n').slice(-12).join('\n')}`);
  return JSON.parse(readFileSync(answer, 'utf8')) as KerasAnswer;
}

/** The largest absolute difference between dl's outputs and Keras's. */
export function maxAbsDiff(dl: Tensor[], keras: { values: number[] }[]): number {
  return Math.max(
    ...dl.flatMap((t, k) => {
      const values = t.dataSync();
      const expected = keras[k]!.values;
      if (expected.length !== values.length) return [Number.POSITIVE_INFINITY];
      return expected.map((v, i) => Math.abs(v - values[i]!));
    }),
  );
}
