import { describe, expect, it } from 'vitest';
import { OOV_TOKEN, PADDING_TOKEN, TextVectorization, tokenize } from '../src/text-vectorization.js';

const TEXTS = ['The cat sat.', 'The dog sat, the DOG ran!', 'A cat?'];
// Counts: the 3, cat 2, sat 2, dog 2, ran 1, a 1; equal counts keep first-occurrence order.

describe('tokenize', () => {
  it('lower-cases, turns <br /> into a space, strips ASCII punctuation (apostrophes too) and splits on whitespace', () => {
    expect(tokenize("It's GREAT.<br /><br />Really-great!\tDon't\n miss   it... <BR>end<br/>x")).toEqual([
      'its',
      'great',
      'reallygreat',
      'dont',
      'miss',
      'it',
      'end',
      'x',
    ]);
    expect(tokenize('  ')).toEqual([]);
    expect(tokenize('!!! ...')).toEqual([]);
    expect(tokenize('Ünïcode ÉTÉ')).toEqual(['ünïcode', 'été']);
  });

  it('has the other standardize modes', () => {
    expect(tokenize('The End.<br />', 'lower')).toEqual(['the', 'end.<br', '/>']);
    expect(tokenize('The End.<br />', 'strip_punctuation')).toEqual(['The', 'End']);
    expect(tokenize('The End.', 'none')).toEqual(['The', 'End.']);
  });
});

describe('TextVectorization', () => {
  it("adapt: '' at 0, '[UNK]' at 1, then words by frequency, ties by first occurrence", () => {
    const vectorizer = new TextVectorization().adapt(TEXTS);
    expect(vectorizer.getVocabulary()).toEqual([PADDING_TOKEN, OOV_TOKEN, 'the', 'cat', 'sat', 'dog', 'ran', 'a']);
    expect(vectorizer.vocabularySize()).toBe(8);
  });

  it('maxTokens caps the vocabulary, padding and OOV included', () => {
    const vectorizer = new TextVectorization({ maxTokens: 4 }).adapt(TEXTS);
    expect(vectorizer.getVocabulary()).toEqual(['', '[UNK]', 'the', 'cat']);
    expect(vectorizer.encode(['the dog'])).toEqual([Int32Array.from([2, 1])]);
  });

  it('encode: token indices, unknown words → 1, no padding', () => {
    const vectorizer = new TextVectorization().adapt(TEXTS);
    expect(vectorizer.encode(['The cat ran away.', '', 'A DOG'])).toEqual([
      Int32Array.from([2, 3, 6, 1]),
      new Int32Array(0),
      Int32Array.from([7, 5]),
    ]);
    expect(vectorizer.tokenToIndex('dog')).toBe(5);
    expect(vectorizer.tokenToIndex('zebra')).toBe(1);
  });

  it('call: dense [n, length], padded / cut at the end; length = outputSequenceLength or the longest', () => {
    const free = new TextVectorization().adapt(TEXTS);
    expect(free.call(['the cat', 'a dog sat the end'])).toEqual({ data: Int32Array.from([2, 3, 0, 0, 0, 7, 5, 4, 2, 1]), shape: [2, 5] });
    const fixed = new TextVectorization({ outputSequenceLength: 3 }).adapt(TEXTS);
    expect(fixed.call(['the cat', 'a dog sat the end'])).toEqual({ data: Int32Array.from([2, 3, 0, 7, 5, 4]), shape: [2, 3] });
    expect(fixed.call('cat')).toEqual({ data: Int32Array.from([3, 0, 0]), shape: [1, 3] });
  });

  it('round-trips through JSON: same vocabulary, options and encoding', () => {
    const original = new TextVectorization({ maxTokens: 6, outputSequenceLength: 4, standardize: 'lower' }).adapt(TEXTS);
    const text = JSON.stringify(original);
    const restored = TextVectorization.fromJSON(JSON.parse(text));
    expect(restored.getVocabulary()).toEqual(original.getVocabulary());
    expect(restored.maxTokens).toBe(6);
    expect(restored.outputSequenceLength).toBe(4);
    expect(restored.standardize).toBe('lower');
    const probe = ['The dog sat.', 'a cat ran', 'unknown words here'];
    expect(restored.call(probe)).toEqual(original.call(probe));
    expect(TextVectorization.fromJSON(text).getVocabulary()).toEqual(original.getVocabulary());
    expect(JSON.parse(text)).toEqual({
      format: 'dl-text-vectorization',
      version: 1,
      config: { maxTokens: 6, outputSequenceLength: 4, standardize: 'lower', split: 'whitespace' },
      vocabulary: ['', '[UNK]', 'the', 'dog', 'cat', 'sat.'], // 'lower' keeps punctuation
    });
  });

  it('fromJSON rejects what it cannot trust', () => {
    const good = new TextVectorization().adapt(TEXTS).toJSON();
    expect(() => TextVectorization.fromJSON('{oops')).toThrow(/invalid JSON/);
    expect(() => TextVectorization.fromJSON({ ...good, format: 'other' } as never)).toThrow(/not a TextVectorization JSON/);
    expect(() => TextVectorization.fromJSON({ ...good, version: 2 } as never)).toThrow(/unsupported version 2/);
    expect(() => TextVectorization.fromJSON({ ...good, vocabulary: ['the', 'cat'] })).toThrow(/must be an array starting with ''/);
    expect(() => TextVectorization.fromJSON({ ...good, vocabulary: ['', '[UNK]', 'cat', 'cat'] })).toThrow(/distinct/);
    expect(() => TextVectorization.fromJSON({ ...good, config: { ...good.config, standardize: 'shout' as never } })).toThrow(/standardize/);
    expect(() => TextVectorization.fromJSON({ ...good, config: { ...good.config, maxTokens: 3 } })).toThrow(/more than maxTokens 3/);
  });

  it('setVocabulary sets words after the two reserved tokens', () => {
    const vectorizer = new TextVectorization().setVocabulary(['hello', 'world']);
    expect(vectorizer.getVocabulary()).toEqual(['', '[UNK]', 'hello', 'world']);
    expect(vectorizer.call('hello there world')).toEqual({ data: Int32Array.from([2, 1, 3]), shape: [1, 3] });
    expect(() => vectorizer.setVocabulary(['[UNK]'])).toThrow(TypeError);
  });

  it('rejects bad options', () => {
    expect(() => new TextVectorization({ maxTokens: 1 })).toThrow(RangeError);
    expect(() => new TextVectorization({ outputSequenceLength: -2 })).toThrow(RangeError);
    expect(() => new TextVectorization({ standardize: 'upper' as never })).toThrow(RangeError);
  });

  it('words: the vocabulary array itself, the same until setVocabulary replaces it (what tokenizer.js caches by)', () => {
    const vectorizer = new TextVectorization().setVocabulary(['good', 'bad']);
    const words = vectorizer.words;
    expect(words).toEqual(['', '[UNK]', 'good', 'bad']);
    expect(vectorizer.words).toBe(words);
    expect(vectorizer.getVocabulary()).not.toBe(words);
    vectorizer.setVocabulary(['fine']);
    expect(vectorizer.words).not.toBe(words);
    expect(vectorizer.words).toEqual(['', '[UNK]', 'fine']);
  });
});
