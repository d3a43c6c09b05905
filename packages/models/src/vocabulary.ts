/**
 * A text model's vocabulary on disk, beside the model: `vocabulary.json` (TextVectorization's JSON) in the run folder,
 * and text classification with it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeFolder, writeFileAtomic, type Model } from '@dl/core';
import { TextVectorization } from '@dl/data';
import type { TextSupport } from './preset.js';

/** Name of the vocabulary file in a run folder. */
export const VOCABULARY_JSON = 'vocabulary.json';

/** Writes `vocabulary` to `dir/vocabulary.json` (creating `dir`) through a temporary file and a rename; returns the path. */
export async function saveVocabulary(dir: string, vocabulary: TextVectorization): Promise<string> {
  await makeFolder(dir);
  const path = join(dir, VOCABULARY_JSON);
  await writeFileAtomic(path, `${JSON.stringify(vocabulary.toJSON())}\n`);
  return path;
}

/**
 * Reads `dir/vocabulary.json` back.
 *
 * @throws {Error} (code 'ENOENT') when the file does not exist; {TypeError} when it is not a TextVectorization JSON.
 */
export async function loadVocabulary(dir: string): Promise<TextVectorization> {
  return TextVectorization.fromJSON(await readFile(join(dir, VOCABULARY_JSON), 'utf8'));
}

export interface TextPrediction {
  /** The model's probability of the positive class (label 1). */
  probability: number;
  /** The class name: `text.labels[1]` when probability > 0.5 (as the accuracy metric decides), else `text.labels[0]`. */
  label: string;
  /**
   * How many of the text's words are in the vocabulary (not `[UNK]`). 0 (an empty or all-unknown text) means the model
   * saw nothing it knows, so the probability reflects only its bias: callers should warn.
   */
  knownTokens: number;
}

/** Classifies raw `texts` with a text preset's trained `model` and the vocabulary it was trained with. */
export function classifyTexts(model: Model, text: TextSupport, vocabulary: TextVectorization, texts: readonly string[]): TextPrediction[] {
  const output = model.predict(text.encode(vocabulary, texts), { batchSize: 256 });
  const probabilities = output.dataSync();
  output.dispose();
  // Counted on the word ids, not the model input (text-classifier repeats its tokens to fill its input): id 1 is '[UNK]'.
  const known = vocabulary.encode(texts).map((ids) => ids.reduce((n, id) => (id > 1 ? n + 1 : n), 0));
  return Array.from(probabilities, (probability, i) => ({
    probability,
    label: text.labels[probability > 0.5 ? 1 : 0],
    knownTokens: known[i]!,
  }));
}
