/**
 * IMDB movie-review sentiment with an LSTM: Embedding(20000, 128) → LSTM(64) → Dense(1, sigmoid) over each review's
 * last 200 words.
 *
 * Run from the repo root (after `pnpm install`):
 *
 *   pnpm --filter dl-examples imdb-lstm              # the `lstm` preset's recipe: 3 epochs, ~0.87 test accuracy
 *   EPOCHS=1 pnpm --filter dl-examples imdb-lstm     # one epoch, ~0.82
 *   LIMIT=5000 pnpm --filter dl-examples imdb-lstm   # train on the first 5,000 reviews only, for a quick try
 *
 * (`npx tsx examples/imdb-lstm.ts` works too.) The same network and recipe ship as the `lstm` preset of @dl/models,
 * which `dl train lstm` runs; this file spells them out with the library calls you would write yourself.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LearningRateScheduler, layers, loadModel, sequential, setSeed, type ShapedArray } from '@dl/core';
import { imdb, padSequences, TextVectorization, type RaggedArray } from '@dl/data';

const EPOCHS = positiveInt(process.env['EPOCHS'], 3);
const LIMIT = positiveInt(process.env['LIMIT'], Infinity);
const VOCABULARY_SIZE = 20_000;
const LENGTH = 200;
const LEARNING_RATE = 2e-3;
const OUT = process.env['OUT'] ?? join(tmpdir(), 'dl-examples', 'imdb-lstm');

setSeed(42);

// 1. Data, like keras.datasets.imdb.load_data(num_words=20000) but indexed as TextVectorization indexes words:
//    0 padding, 1 unknown word, and the word of frequency rank r at r + 1 (no start character).
const [[xTrainRagged, yTrainAll], [xTestRagged, yTest]] = await imdb.loadData({
  numWords: VOCABULARY_SIZE,
  indexFrom: 1,
  oovChar: 1,
  startChar: null,
});
// The same words in the same order make a TextVectorization that indexes raw text exactly like the data.
const wordIndex = await imdb.getWordIndex(); // word → rank, in rank order
const vocabulary = new TextVectorization({ maxTokens: VOCABULARY_SIZE }).setVocabulary([...wordIndex.keys()].slice(0, VOCABULARY_SIZE - 2));

/** Each review's last 200 words (the verdict tends to come at the end), padded with 0 in front. */
const toInputs = (reviews: RaggedArray | Int32Array[]) => padSequences(reviews, { maxlen: LENGTH, padding: 'pre', truncating: 'pre' });
const xTrainFull = toInputs(xTrainRagged);
const n = Math.min(LIMIT, xTrainFull.shape[0]!);
const xTrain: ShapedArray = { data: xTrainFull.data.subarray(0, n * LENGTH), shape: [n, LENGTH] };
const yTrain: ShapedArray = { data: yTrainAll.data.subarray(0, n), shape: [n] }; // 0 negative, 1 positive
const xTest = toInputs(xTestRagged);

// 2. The network, with dropout before and after the LSTM against overfitting.
const model = sequential([
  layers.embedding({ inputDim: VOCABULARY_SIZE, outputDim: 128, inputLength: LENGTH }),
  layers.dropout({ rate: 0.3 }),
  layers.lstm({ units: 64 }),
  layers.dropout({ rate: 0.3 }),
  layers.dense({ units: 1, activation: 'sigmoid' }),
]);
model.summary();
model.compile({ optimizer: { name: 'adam', learningRate: LEARNING_RATE }, loss: 'binaryCrossentropy', metrics: ['accuracy'] });

// 3. Train with a cosine decay of the learning rate over the epochs, then evaluate on the 25,000 test reviews.
const cosineDecay = new LearningRateScheduler((epoch) => (LEARNING_RATE * (1 + Math.cos((Math.PI * epoch) / EPOCHS))) / 2);
await model.fit(xTrain, yTrain, { epochs: EPOCHS, batchSize: 64, callbacks: [cosineDecay] });
const metrics = await model.evaluate(xTest, yTest, { batchSize: 512 });
console.log(`test accuracy ${metrics['accuracy']!.toFixed(4)}`);

// 4. Save, reload, and classify raw reviews through the vocabulary.
await model.save(OUT);
const reloaded = await loadModel(OUT);
const reviews = [
  'A wonderful film: moving, funny and beautifully acted. I loved it.',
  'Dull, predictable and far too long. A waste of time.',
];
const probabilities = reloaded.predict(toInputs(vocabulary.encode(reviews))).dataSync();
reviews.forEach((review, i) =>
  console.log(`${probabilities[i]! > 0.5 ? 'positive' : 'negative'} (${probabilities[i]!.toFixed(3)}): ${review}`),
);

function positiveInt(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a whole number ≥ 1, got '${value}'`);
  return n;
}
