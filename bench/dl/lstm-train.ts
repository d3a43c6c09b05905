/** Embedding → LSTM → Dense(1, sigmoid) training on synthetic IMDB-shaped word ids, adam, batch 64. Usage: npx tsx bench/dl/lstm-train.ts [--steps N] [--batch-size N] [--warmup N] */
import { main } from './common.js';

await main('lstm-train');
