/** DCGAN training steps through a custom `trainStep` (bench/dl/gan.ts), batch 64. Usage: npx tsx bench/dl/gan-train.ts [--steps N] [--batch-size N] [--warmup N] */
import { main } from './common.js';

await main('gan-train');
