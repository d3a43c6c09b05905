// Keras's imdb.npz format: numpy .npz of pickled object arrays.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadData } from '../src/imdb.js';
import { readKerasNpz } from '../src/imdb-files.js';
import { raggedRows } from '../src/ragged.js';
import { npy, npyInt64, npyObjects, pickleProtocol4, RANKED, writeKerasNpz, writeNpz, type RankedFixture } from './imdb-fixtures.js';
import { datasetError, eachTestInTempFolder } from './dataset-test-setup.js';

let root: string;
eachTestInTempFolder((dir) => {
  root = dir;
});

async function asPlain(path: string): Promise<RankedFixture> {
  const corpus = await readKerasNpz(path);
  return {
    xTrain: corpus.train.sequences.map((s) => Array.from(s)),
    yTrain: Array.from(corpus.train.labels),
    xTest: corpus.test.sequences.map((s) => Array.from(s)),
    yTest: Array.from(corpus.test.labels),
  };
}

/** 1,500 reviews of 0–9 words: several APPENDS batches, memo indices past 255, ints of every pickle width. */
const LARGER: RankedFixture = {
  xTrain: Array.from({ length: 1500 }, (_, i) => Array.from({ length: i % 10 }, (_, k) => ((i * 7919 + k * 104729) % 90000) + 1)),
  yTrain: Array.from({ length: 1500 }, (_, i) => (i * 3) % 2),
  xTest: [[1], [], [255, 256, 65535, 65536, 88586]],
  yTest: [1, 0, 1],
};

describe("imdb.npz reading (Keras's format)", () => {
  it('reads protocol-4 pickles (numpy 2 / Python 3), stored', async () => {
    const path = join(root, 'imdb.npz');
    await writeKerasNpz(path, LARGER, { protocol: 4 });
    expect(await asPlain(path)).toEqual(LARGER);
  });

  it('reads protocol-2 pickles (numpy 1 / Python 2), deflated', async () => {
    const path = join(root, 'imdb.npz');
    await writeKerasNpz(path, LARGER, { protocol: 2, compress: true });
    expect(await asPlain(path)).toEqual(LARGER);
  });

  const hasNumpy = (() => {
    try {
      execFileSync('python3', ['-c', 'import numpy'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!hasNumpy)('agrees with numpy both ways: reads what np.savez writes, and numpy reads the hand-made fixtures', async () => {
    const ours = join(root, 'ours.npz');
    await writeKerasNpz(ours, LARGER, { protocol: 2, compress: true });
    const script = `
import json, sys
import numpy as np
corpus = json.loads(sys.argv[1])
def obj(rows):
    a = np.empty(len(rows), dtype=object)
    a[:] = rows
    return a
np.savez_compressed(sys.argv[2], x_train=obj(corpus['xTrain']), y_train=np.array(corpus['yTrain']), x_test=obj(corpus['xTest']), y_test=np.array(corpus['yTest']))
np.savez(sys.argv[3], x_train=obj(corpus['xTrain']), y_train=np.array(corpus['yTrain'], dtype=np.int32), x_test=obj(corpus['xTest']), y_test=np.array(corpus['yTest'], dtype=np.uint8))
with np.load(sys.argv[4], allow_pickle=True) as f:
    print(json.dumps({'xTrain': [list(x) for x in f['x_train']], 'yTrain': f['y_train'].tolist(), 'xTest': [list(x) for x in f['x_test']], 'yTest': f['y_test'].tolist()}))
`;
    const compressed = join(root, 'numpy-compressed.npz');
    const stored = join(root, 'numpy-stored.npz');
    const output = execFileSync('python3', ['-c', script, JSON.stringify(LARGER), compressed, stored, ours], { encoding: 'utf8' });
    expect(JSON.parse(output)).toEqual(LARGER);
    expect(await asPlain(compressed)).toEqual(LARGER);
    expect(await asPlain(stored)).toEqual(LARGER);
  });

  it('is what loadData reads from imdb.npz in dataDir', async () => {
    await writeKerasNpz(join(root, 'imdb.npz'), RANKED, { protocol: 2, compress: true });
    const [[x, y]] = await loadData({ dataDir: root, seed: null, log: false });
    expect(raggedRows(x).map((row) => Array.from(row))).toEqual([
      [1, 4, 5, 6],
      [1, 7, 4, 8, 5],
    ]);
    expect(Array.from(y.data)).toEqual([0, 1]);
  });
});

describe('corrupt imdb.npz', () => {
  const members = () => ({
    'x_train.npy': npyObjects(RANKED.xTrain),
    'y_train.npy': npyInt64(RANKED.yTrain),
    'x_test.npy': npyObjects(RANKED.xTest),
    'y_test.npy': npyInt64(RANKED.yTest),
  });
  const path = () => join(root, 'imdb.npz');
  const load = () => loadData({ dataDir: root, log: false });
  async function expectError(pattern: RegExp): Promise<void> {
    const error = await datasetError(load());
    expect(error.file).toBe(path());
    expect(error.message).toContain(path());
    expect(error.message).toMatch(pattern);
  }

  it('not a ZIP archive', async () => {
    await writeFile(path(), 'this is not a zip file at all');
    await expectError(/not a valid \.npz \(ZIP\) archive/);
  });

  it('a truncated archive', async () => {
    await writeKerasNpz(path(), RANKED, { compress: true });
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(path());
    await writeFile(path(), bytes.subarray(0, bytes.length - 40));
    await expectError(/not a valid \.npz/);
  });

  it('a missing member', async () => {
    const { 'x_test.npy': _, ...rest } = members();
    await writeNpz(path(), rest);
    await expectError(/member x_test\.npy missing \(found: x_train\.npy, y_train\.npy, y_test\.npy\)/);
  });

  it('a member that is not .npy', async () => {
    await writeNpz(path(), { ...members(), 'y_train.npy': new TextEncoder().encode('hello') });
    await expectError(/member y_train\.npy: not a \.npy array/);
  });

  it('x stored as numbers instead of an object array', async () => {
    await writeNpz(path(), { ...members(), 'x_train.npy': npyInt64([1, 2]) });
    await expectError(/member x_train\.npy: expected a 1-D object array/);
  });

  it('a label other than 0/1', async () => {
    await writeNpz(path(), { ...members(), 'y_test.npy': npyInt64([1, 3]) });
    await expectError(/member y_test\.npy: label 3 at index 1/);
  });

  it('labels whose data is shorter than the header says', async () => {
    await writeNpz(path(), { ...members(), 'y_train.npy': npy('<i8', [3], new Uint8Array(16)) });
    await expectError(/member y_train\.npy: truncated data/);
  });

  it('as many labels as reviews', async () => {
    await writeNpz(path(), { ...members(), 'y_train.npy': npyInt64([0, 1, 1]) });
    await expectError(/x_train\.npy holds 2 reviews but y_train\.npy 3 labels/);
  });

  it('a truncated pickle', async () => {
    const pickle = pickleProtocol4(RANKED.xTrain);
    await writeNpz(path(), { ...members(), 'x_train.npy': npy('|O', [2], pickle.subarray(0, pickle.length - 10)) });
    await expectError(/member x_train\.npy: corrupt pickled object array/);
  });

  it('a pickle naming anything but numpy’s array machinery', async () => {
    const evil = Uint8Array.from([0x80, 2, 0x63, ...new TextEncoder().encode('os\nsystem\n'), 0x55, 2, 0x6c, 0x73, 0x85, 0x52, 0x2e]);
    await writeNpz(path(), { ...members(), 'x_train.npy': npy('|O', [2], evil) });
    await expectError(/refers to the Python name os\.system/);
  });

  it('elements that are not lists of non-negative integers', async () => {
    await writeNpz(path(), {
      ...members(),
      'x_test.npy': npyObjects([
        [1, 2],
        [3, -4],
      ]),
    });
    await expectError(/member x_test\.npy: element 1 is not a list of non-negative integers/);
  });
});
