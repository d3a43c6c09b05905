/**
 * `TextVectorization`: turns raw text into integer token sequences, like
 * Keras's `keras.layers.TextVectorization` with `output_mode='int'`.
 *
 * ```ts
 * const vectorizer = new TextVectorization({ maxTokens: 10000, outputSequenceLength: 200 });
 * vectorizer.adapt(trainTexts);                 // vocabulary by frequency
 * const x = vectorizer.call(trainTexts);        // { data: Int32Array, shape: [n, 200] }
 * await writeFile('vocab.json', JSON.stringify(vectorizer)); // beside the model
 * // later, for prediction on raw text:
 * const same = TextVectorization.fromJSON(JSON.parse(await readFile('vocab.json', 'utf8')));
 * ```
 *
 * Every raw-text IMDB source of `imdb.loadData` tokenises with
 * {@link tokenize}, so the same standardisation applies to training data and
 * to new text passed through a vectorizer with the default options.
 */
import {
  fitSequence,
  indexTokens,
  OOV_TOKEN,
  PADDING_TOKEN,
  STANDARDIZE_MODES,
  type StandardizeMode,
  tokenize,
} from '../tokenizer/tokenizer.js';
import type { NDArray } from './ndarray.js';

// The tokenisation itself lives in the dependency-free ES module tokenizer/tokenizer.js, which `dl export` copies beside
// an exported text model, so a page encodes text exactly as this class does.
export { OOV_TOKEN, PADDING_TOKEN, type StandardizeMode, tokenize };

export interface TextVectorizationOptions {
  /**
   * Largest vocabulary size, counting the padding token (index 0) and the OOV
   * token (index 1), as in Keras: `adapt` keeps the `maxTokens - 2` most
   * frequent words. Default: no limit.
   */
  maxTokens?: number;
  /**
   * Length of every row `call` returns: shorter sequences are padded with 0 at
   * the end, longer ones cut at the end (as Keras). Default: the longest row of each call.
   */
  outputSequenceLength?: number;
  /** Text cleaning; see {@link StandardizeMode}. Default `'lower_and_strip_punctuation'`. */
  standardize?: StandardizeMode;
}

/** The JSON form of a TextVectorization (`JSON.stringify(vectorizer)`), read back by `TextVectorization.fromJSON`. */
export interface TextVectorizationJSON {
  format: 'dl-text-vectorization';
  version: 1;
  config: {
    maxTokens: number | null;
    outputSequenceLength: number | null;
    standardize: StandardizeMode;
    split: 'whitespace';
  };
  /** The whole vocabulary, index = position: `['', '[UNK]', 'the', ...]`. */
  vocabulary: string[];
}

/**
 * Words of `documents` (each an array of tokens) by descending frequency.
 * Ties keep the order in which the words first occur, so the result is
 * deterministic and independent of any hashing.
 */
export function wordsByFrequency(documents: Iterable<readonly string[]>): string[] {
  const counter = new TokenCounter();
  for (const tokens of documents) counter.add(tokens);
  return counter.byFrequency();
}

/**
 * Counts tokens, giving each distinct token an id in order of first
 * occurrence (one Map lookup per token: the vocabulary of 25,000 reviews
 * builds in well under a second).
 */
export class TokenCounter {
  /** token → id (0, 1, 2, … in first-occurrence order). */
  readonly ids = new Map<string, number>();
  private counts = new Int32Array(1024);

  /** Counts `tokens` and returns their ids. */
  add(tokens: readonly string[]): Int32Array {
    const out = new Int32Array(tokens.length);
    for (let k = 0; k < tokens.length; k++) {
      const token = tokens[k]!;
      let id = this.ids.get(token);
      if (id === undefined) {
        id = this.ids.size;
        this.ids.set(token, id);
        if (id === this.counts.length) {
          const grown = new Int32Array(this.counts.length * 2);
          grown.set(this.counts);
          this.counts = grown;
        }
      }
      this.counts[id]! += 1;
      out[k] = id;
    }
    return out;
  }

  /** `rankOfId[id]`: 1-based rank by descending count; ties by first occurrence (smaller id first). */
  ranks(): Int32Array {
    const counts = this.counts;
    const order = Int32Array.from({ length: this.ids.size }, (_, id) => id).sort((a, b) => counts[b]! - counts[a]! || a - b);
    const rankOfId = new Int32Array(order.length);
    order.forEach((id, i) => (rankOfId[id] = i + 1));
    return rankOfId;
  }

  /** Distinct tokens by descending count, ties by first occurrence. */
  byFrequency(rankOfId = this.ranks()): string[] {
    const words = new Array<string>(this.ids.size);
    for (const [token, id] of this.ids) words[rankOfId[id]! - 1] = token;
    return words;
  }
}

export class TextVectorization {
  readonly maxTokens: number | undefined;
  readonly outputSequenceLength: number | undefined;
  readonly standardize: StandardizeMode;
  private vocabulary: string[] = [PADDING_TOKEN, OOV_TOKEN];
  private index = new Map<string, number>();

  constructor(options: TextVectorizationOptions = {}) {
    const { maxTokens, outputSequenceLength, standardize = 'lower_and_strip_punctuation' } = options;
    if (maxTokens !== undefined && (!Number.isSafeInteger(maxTokens) || maxTokens < 2)) {
      throw new RangeError(`maxTokens must be an integer ≥ 2 (padding and OOV tokens included), got ${maxTokens}`);
    }
    if (outputSequenceLength !== undefined && (!Number.isSafeInteger(outputSequenceLength) || outputSequenceLength < 0)) {
      throw new RangeError(`outputSequenceLength must be a non-negative integer, got ${outputSequenceLength}`);
    }
    if (!STANDARDIZE_MODES.includes(standardize)) {
      throw new RangeError(
        `standardize must be one of ${STANDARDIZE_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(standardize)}`,
      );
    }
    this.maxTokens = maxTokens;
    this.outputSequenceLength = outputSequenceLength;
    this.standardize = standardize;
  }

  /** Standardises and splits one text, as every other method does. */
  tokenize(text: string): string[] {
    return tokenize(text, this.standardize);
  }

  /**
   * Builds the vocabulary from `texts`, replacing any previous one: index 0 is
   * the padding token `''`, 1 the OOV token `'[UNK]'`, then words by
   * descending frequency (ties: first occurrence first), at most `maxTokens`
   * entries in all.
   */
  adapt(texts: Iterable<string>): this {
    const documents = function* (this: TextVectorization) {
      for (const text of texts) yield this.tokenize(text);
    }.call(this);
    this.setVocabulary(wordsByFrequency(documents));
    return this;
  }

  /**
   * Sets the vocabulary to `words` in the given order (first word → index 2),
   * without the padding and OOV tokens, which are always added in front;
   * truncated to `maxTokens` entries in all.
   */
  setVocabulary(words: readonly string[]): this {
    const limit = this.maxTokens === undefined ? words.length : Math.max(0, this.maxTokens - 2);
    const vocabulary: string[] = [PADDING_TOKEN, OOV_TOKEN];
    const index = new Map<string, number>();
    for (const word of words.slice(0, limit)) {
      if (typeof word !== 'string' || word === PADDING_TOKEN || word === OOV_TOKEN || index.has(word)) {
        throw new TypeError(`vocabulary words must be distinct non-empty strings other than '${OOV_TOKEN}', got ${JSON.stringify(word)}`);
      }
      index.set(word, vocabulary.length);
      vocabulary.push(word);
    }
    this.vocabulary = vocabulary;
    this.index = index;
    return this;
  }

  /** The vocabulary, index = position: `['', '[UNK]', most frequent word, ...]` (a copy). */
  getVocabulary(): string[] {
    return [...this.vocabulary];
  }

  /**
   * The vocabulary itself, read-only, not a copy: the same array until `setVocabulary` replaces it, so what
   * tokenizer.js derives from it (its word and bigram indices, cached per array) is built once, not on every call.
   */
  get words(): readonly string[] {
    return this.vocabulary;
  }

  /** Number of vocabulary entries, padding and OOV included (the `inputDim` an Embedding layer needs). */
  vocabularySize(): number {
    return this.vocabulary.length;
  }

  /** Index of one token: its vocabulary position, or 1 (OOV) if it is not in the vocabulary. */
  tokenToIndex(token: string): number {
    return this.index.get(token) ?? 1;
  }

  /** Each text as its token indices, unpadded and untruncated (unknown words → 1). */
  encode(texts: readonly string[]): Int32Array[] {
    return texts.map((text) => indexTokens(this.tokenize(text), this.index));
  }

  /**
   * Keras's layer call: texts → dense `[n, length]` indices, where `length`
   * is `outputSequenceLength` if set (longer rows cut at the end), else the
   * longest row; shorter rows are padded with 0 at the end.
   */
  call(texts: string | readonly string[]): NDArray<Int32Array> {
    const rows = this.encode(typeof texts === 'string' ? [texts] : texts);
    const length = this.outputSequenceLength ?? rows.reduce((longest, row) => Math.max(longest, row.length), 0);
    const data = new Int32Array(rows.length * length);
    rows.forEach((row, i) => data.set(fitSequence(row, length, 'post', 'post'), i * length));
    return { data, shape: [rows.length, length] };
  }

  /** The configuration and vocabulary, for `JSON.stringify` (saving it beside a model). */
  toJSON(): TextVectorizationJSON {
    return {
      format: 'dl-text-vectorization',
      version: 1,
      config: {
        maxTokens: this.maxTokens ?? null,
        outputSequenceLength: this.outputSequenceLength ?? null,
        standardize: this.standardize,
        split: 'whitespace',
      },
      vocabulary: this.getVocabulary(),
    };
  }

  /**
   * Rebuilds a vectorizer from `toJSON()`'s output (the object or its JSON
   * text), so prediction uses exactly the mapping the model was trained with.
   *
   * @throws {TypeError} when `json` is not a valid TextVectorization JSON.
   */
  static fromJSON(json: TextVectorizationJSON | string): TextVectorization {
    let value: unknown = json;
    if (typeof json === 'string') {
      try {
        value = JSON.parse(json);
      } catch (cause) {
        throw new TypeError(`TextVectorization.fromJSON: invalid JSON: ${(cause as Error).message}`, { cause });
      }
    }
    const fail = (problem: string): never => {
      throw new TypeError(`TextVectorization.fromJSON: ${problem}`);
    };
    const object = value as Partial<TextVectorizationJSON> | null;
    if (typeof object !== 'object' || object === null || object.format !== 'dl-text-vectorization') {
      fail(`not a TextVectorization JSON (expected format 'dl-text-vectorization')`);
    }
    if (object!.version !== 1) fail(`unsupported version ${JSON.stringify(object!.version)} (this library reads version 1)`);
    const { config, vocabulary } = object!;
    if (typeof config !== 'object' || config === null) fail('missing config');
    if (config!.split !== 'whitespace') fail(`unsupported split ${JSON.stringify(config!.split)}`);
    if (!Array.isArray(vocabulary) || vocabulary[0] !== PADDING_TOKEN || vocabulary[1] !== OOV_TOKEN) {
      fail(`vocabulary must be an array starting with '${PADDING_TOKEN}' (padding) and '${OOV_TOKEN}' (OOV)`);
    }
    let vectorizer: TextVectorization;
    try {
      vectorizer = new TextVectorization({
        maxTokens: config!.maxTokens ?? undefined,
        outputSequenceLength: config!.outputSequenceLength ?? undefined,
        standardize: config!.standardize,
      });
      if (vectorizer.maxTokens !== undefined && vocabulary!.length > vectorizer.maxTokens) {
        fail(`vocabulary has ${vocabulary!.length} entries, more than maxTokens ${vectorizer.maxTokens}`);
      }
      vectorizer.setVocabulary(vocabulary!.slice(2));
    } catch (error) {
      if (error instanceof TypeError && error.message.startsWith('TextVectorization.fromJSON')) throw error;
      return fail((error as Error).message);
    }
    return vectorizer;
  }
}
