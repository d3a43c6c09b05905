// Predictions of an export as plain TensorFlow.js computes them: @tensorflow/tfjs 4.22 on its pure-JS CPU backend, in a
// child process without tfjs-node or dl (plain-tfjs-predict.mjs), loading the folder with tf.loadLayersModel.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface PlainPrediction {
  backend: string;
  predictions: number[];
  shape: number[];
}

export function plainTfjsPredict(
  dir: string,
  data: ArrayLike<number>,
  shape: number[],
  dtype: 'float32' | 'int32',
): Promise<PlainPrediction> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(HERE, 'plain-tfjs-predict.mjs')], { cwd: HERE, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`plain-tfjs-predict.mjs exited ${code}: ${stderr}`));
      else resolve(JSON.parse(stdout) as PlainPrediction);
    });
    child.stdin.end(JSON.stringify({ dir, data: Array.from(data), shape, dtype }));
  });
}
