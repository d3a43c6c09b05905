/** Seed CNN (the `cnn` preset) training on synthetic MNIST-shaped data, adam, batch 64. Usage: npx tsx bench/dl/cnn-train.ts [--steps N] [--batch-size N] [--warmup N] */
import { main } from './common.js';

await main('cnn-train');
