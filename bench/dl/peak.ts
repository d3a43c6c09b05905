/**
 * The machine's practical peak for float32 arithmetic through TensorFlow's native kernels (via tfjs-node): an
 * n×n by n×n tf.matMul (2n³ FLOPs) repeated, each read back before the next. Prints one JSON line with the best and
 * median GFLOP/s. Usage: npx tsx bench/dl/peak.ts [--size 2048] [--repeats 10]
 */
import { parseArgs } from 'node:util';
import { requireNativeBackend } from './common.js';
import { tf } from './dl.js';

const { values } = parseArgs({ options: { size: { type: 'string', default: '2048' }, repeats: { type: 'string', default: '10' } } });
const n = Number(values.size);
const repeats = Number(values.repeats);
requireNativeBackend();
const a = tf.randomUniform([n, n]);
const b = tf.randomUniform([n, n]);
const once = async () => {
  const start = performance.now();
  const c = tf.matMul(a, b);
  await c.data();
  c.dispose();
  return (performance.now() - start) / 1000;
};
for (let i = 0; i < 2; i++) await once(); // warm-up: thread pool, allocator
const gflops: number[] = [];
for (let i = 0; i < repeats; i++) gflops.push((2 * n ** 3) / (await once()) / 1e9);
const sorted = [...gflops].sort((x, y) => x - y);
process.stdout.write(
  `${JSON.stringify({ size: n, repeats, bestGflops: sorted[sorted.length - 1], medianGflops: sorted[Math.floor(sorted.length / 2)], gflops })}\n`,
);
