/** Embedding → GlobalAveragePooling1D → Dense text classifier training on synthetic word ids, adam, batch 64. Usage: npx tsx bench/dl/text-train.ts [--steps N] [--batch-size N] [--warmup N] */
import { main } from './common.js';

await main('text-train');
