/**
 * dl's text encoding, as one dependency-free ES module (no imports) that Node and a browser page both run.
 *
 * @dl/data's TextVectorization and the IMDB loader tokenise with this file, the text presets (@dl/models) build their
 * model input with it, and `dl export` copies it verbatim beside an exported text model as `tokenizer.js`: the page
 * encodes a review exactly as training did, and the two cannot drift apart. Types: tokenizer.d.ts beside this file.
 *
 *   import { encode } from './tokenizer.js';
 *   const vocabulary = await (await fetch('vocabulary.json')).json();   // TextVectorization's JSON
 *   const meta = await (await fetch('dl-model.json')).json();
 *   const ids = encode(review, vocabulary, meta.textInput);             // Int32Array, the model's input row
 */

/** The padding / mask token, always at index 0. */
export const PADDING_TOKEN = '';
/** The out-of-vocabulary token, always at index 1. */
export const OOV_TOKEN = '[UNK]';
/** Index of the out-of-vocabulary token: what an unknown word becomes. */
export const OOV_INDEX = 1;
/** How text is cleaned before it is split; see tokenize. */
export const STANDARDIZE_MODES = Object.freeze(['lower_and_strip_punctuation', 'lower', 'strip_punctuation', 'none']);

const LINE_BREAKS = /<br\s*\/?>/gi;
const PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']+/g;
const TOKEN = /\S+/g;

/**
 * Standardises `text` and splits it on runs of whitespace (Unicode's, as `\s`), dropping empty tokens.
 * 'lower_and_strip_punctuation' (default): HTML line breaks (`<br />`, `<br>`, `<br/>`, any case) become spaces, the
 * text is lower-cased (`toLowerCase`, Unicode-aware) and Keras's ASCII punctuation set is removed, not replaced
 * ("don't" → "dont"); 'lower': lower-casing only; 'strip_punctuation': line breaks and punctuation only; 'none': as is.
 */
export function tokenize(text, standardize = 'lower_and_strip_punctuation') {
  let clean = String(text);
  const strip = standardize === 'lower_and_strip_punctuation' || standardize === 'strip_punctuation';
  if (strip) clean = clean.replace(LINE_BREAKS, ' ');
  if (standardize === 'lower_and_strip_punctuation' || standardize === 'lower') clean = clean.toLowerCase();
  if (strip) clean = clean.replace(PUNCTUATION, '');
  return clean.match(TOKEN) ?? [];
}

/** `tokens` as indices through `index` (token → index); unknown tokens become OOV_INDEX. */
export function indexTokens(tokens, index) {
  const ids = new Int32Array(tokens.length);
  for (let k = 0; k < tokens.length; k++) ids[k] = index.get(tokens[k]) ?? OOV_INDEX;
  return ids;
}

// What is derived from a vocabulary (the word index, the bigram index) is built once per vocabulary object: a page
// encodes on every keystroke, and the text-classifier's vocabulary has 120,000 entries.
const derived = new WeakMap();

function wordsOf(vocabulary) {
  return Array.isArray(vocabulary) ? vocabulary : vocabulary.vocabulary;
}

function lookup(vocabulary) {
  let entry = derived.get(vocabulary);
  if (entry === undefined) {
    const words = wordsOf(vocabulary);
    if (!Array.isArray(words) || words[0] !== PADDING_TOKEN || words[1] !== OOV_TOKEN) {
      throw new TypeError(
        `tokenizer: the vocabulary must be TextVectorization's JSON or its word list, starting with '' and '${OOV_TOKEN}'`,
      );
    }
    const index = new Map();
    for (let i = 2; i < words.length; i++) index.set(words[i], i);
    entry = { words, index, bigrams: undefined };
    derived.set(vocabulary, entry);
  }
  return entry;
}

/** The standardisation a vocabulary was built with (TextVectorization's JSON records it; a bare word list: the default). */
function standardizeOf(vocabulary) {
  return Array.isArray(vocabulary) ? 'lower_and_strip_punctuation' : (vocabulary.config?.standardize ?? 'lower_and_strip_punctuation');
}

/** `text`'s word indices in `vocabulary` (TextVectorization's JSON or its word list), unpadded and untruncated. */
export function tokenIds(text, vocabulary) {
  return indexTokens(tokenize(text, standardizeOf(vocabulary)), lookup(vocabulary).index);
}

/**
 * Fits one row of word indices to `length`: longer rows lose their start ('pre') or end ('post'), shorter ones are
 * padded with `value` in front ('pre') or behind ('post'), as Keras's pad_sequences.
 */
export function fitSequence(ids, length, padding = 'pre', truncating = 'pre', value = 0) {
  const row = new Int32Array(length);
  if (value !== 0) row.fill(value);
  const kept = ids.length <= length ? ids : truncating === 'pre' ? ids.subarray(ids.length - length) : ids.subarray(0, length);
  row.set(kept, padding === 'pre' ? length - kept.length : 0);
  return row;
}

/** Index of each bigram entry of the vocabulary (entries 'first second'), keyed by first · size + second. */
function bigramIndex(vocabulary) {
  const entry = lookup(vocabulary);
  if (entry.bigrams === undefined) {
    const { words, index } = entry;
    const size = words.length;
    const bigrams = new Map();
    for (let i = 0; i < size; i++) {
      const word = words[i];
      const space = word.indexOf(' ');
      if (space < 0) continue;
      bigrams.set((index.get(word.slice(0, space)) ?? OOV_INDEX) * size + (index.get(word.slice(space + 1)) ?? OOV_INDEX), i);
    }
    entry.bigrams = bigrams;
  }
  return entry.bigrams;
}

/**
 * A bag of n-grams for an averaging model (the text-classifier): the known words among the row's last `window` word
 * indices, then the indices of the vocabulary's bigrams ('first second' entries) among consecutive pairs of them, the
 * whole repeated cyclically to fill `length` entries (so the average is the text's own, with no padding to dilute it).
 * Unknown words (OOV_INDEX) are left out: the bag holds what the vocabulary knows, so a vocabulary leaves a word out of
 * the average by not listing it (the DP recipe's vocabulary omits the most frequent words). A row with no known word
 * is all padding.
 */
export function ngramBag(ids, vocabulary, window, length) {
  const size = wordsOf(vocabulary).length;
  const bigrams = bigramIndex(vocabulary);
  const w = ids.length <= window ? ids : ids.subarray(ids.length - window);
  const tokens = new Int32Array(Math.max(length, 2 * w.length));
  let n = 0;
  for (let k = 0; k < w.length; k++) if (w[k] !== OOV_INDEX) tokens[n++] = w[k];
  for (let k = 1; k < w.length; k++) {
    const bigram = bigrams.get(w[k - 1] * size + w[k]);
    if (bigram !== undefined) tokens[n++] = bigram;
  }
  const row = new Int32Array(length);
  if (n === 0) return row;
  for (let k = 0; k < length; k++) row[k] = tokens[k % n];
  return row;
}

/**
 * One row of word indices → the model's input row, as `input` describes it (dl-model.json's `textInput`):
 * `{ type: 'sequence', length, padding, truncating }` (lstm) or `{ type: 'ngram-bag', window, length }` (text-classifier).
 */
export function modelInput(ids, vocabulary, input) {
  if (input.type === 'sequence') return fitSequence(ids, input.length, input.padding, input.truncating);
  if (input.type === 'ngram-bag') return ngramBag(ids, vocabulary, input.window, input.length);
  throw new TypeError(`tokenizer: unknown text input type ${JSON.stringify(input.type)} (expected 'sequence' or 'ngram-bag')`);
}

/** Raw `text` → the model's input row (Int32Array of `input.length`): tokenIds, then modelInput. */
export function encode(text, vocabulary, input) {
  return modelInput(tokenIds(text, vocabulary), vocabulary, input);
}

/** How many of `text`'s words are in the vocabulary: 0 means the model sees nothing it knows (only its bias answers). */
export function knownTokens(text, vocabulary) {
  let known = 0;
  for (const id of tokenIds(text, vocabulary)) if (id > OOV_INDEX) known++;
  return known;
}
