/** Seed CNN (the `cnn` preset) inference with `model.predict`, batch 256. Usage: npx tsx bench/dl/cnn-infer.ts [--steps N] [--batch-size N] [--warmup N] */
import { main } from './common.js';

await main('cnn-infer');
