/** Types of tokenizer.js (dl's text encoding, shared by Node and exported pages); see that file for the documentation. */

/**
 * How text is cleaned before splitting:
 * - `'lower_and_strip_punctuation'` (default): HTML line breaks (`<br />`, `<br>`, `<br/>`, any case) become spaces,
 *   the text is lower-cased (Unicode-aware, `String.prototype.toLowerCase`), and the ASCII punctuation characters
 *   `` !"#$%&()*+,-./:;<=>?@[\]^_`{|}~' `` are removed (not replaced by spaces: "don't" → "dont", "ice-t" → "icet"),
 *   the same set as Keras's default;
 * - `'lower'`: lower-casing only;
 * - `'strip_punctuation'`: line breaks and punctuation only;
 * - `'none'`: the text is split as it is.
 */
export type StandardizeMode = 'lower_and_strip_punctuation' | 'lower' | 'strip_punctuation' | 'none';

/** A vocabulary as the tokenizer takes it: TextVectorization's JSON (vocabulary.json), or its word list `['', '[UNK]', …]`. */
export type Vocabulary = { config?: { standardize?: StandardizeMode }; vocabulary: readonly string[] } | readonly string[];

/** The lstm's input: the word indices fitted to `length` (Keras's pad_sequences). */
export interface SequenceInput {
  type: 'sequence';
  length: number;
  padding: 'pre' | 'post';
  truncating: 'pre' | 'post';
}

/** The text-classifier's input: the known words of the last `window` and their known bigrams, repeated to fill `length`. */
export interface NgramBagInput {
  type: 'ngram-bag';
  window: number;
  length: number;
}

/** How a text model's input row is built from a text's word indices (dl-model.json's `textInput`). */
export type TextInput = SequenceInput | NgramBagInput;

export const PADDING_TOKEN: '';
export const OOV_TOKEN: '[UNK]';
export const OOV_INDEX: 1;
export const STANDARDIZE_MODES: readonly StandardizeMode[];

export function tokenize(text: string, standardize?: StandardizeMode): string[];
export function indexTokens(tokens: readonly string[], index: ReadonlyMap<string, number>): Int32Array;
export function tokenIds(text: string, vocabulary: Vocabulary): Int32Array;
export function fitSequence(
  ids: Int32Array,
  length: number,
  padding?: 'pre' | 'post',
  truncating?: 'pre' | 'post',
  value?: number,
): Int32Array;
export function ngramBag(ids: Int32Array, vocabulary: Vocabulary, window: number, length: number): Int32Array;
export function modelInput(ids: Int32Array, vocabulary: Vocabulary, input: TextInput): Int32Array;
export function encode(text: string, vocabulary: Vocabulary, input: TextInput): Int32Array;
export function knownTokens(text: string, vocabulary: Vocabulary): number;
