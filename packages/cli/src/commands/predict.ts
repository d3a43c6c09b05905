import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel } from '@dl/core';
import { classifyTexts, loadVocabulary, textPresetNames, VOCABULARY_JSON } from '@dl/models';
import { makeOutput } from '../output.js';
import { UsageError } from '../usage-error.js';
import { resolvePreset } from './resolve-preset.js';

export interface PredictCommandOptions {
  text: string;
  json?: boolean;
  quiet?: boolean;
}

/**
 * `dl predict DIR --text "…"`: classifies a text with a model trained by a text preset, indexing it with the
 * vocabulary saved beside the model (`vocabulary.json`); prints the probability of the positive class and the label.
 */
export async function predict(dir: string, options: PredictCommandOptions): Promise<void> {
  const modelDir = resolve(dir);
  const modelJson = join(modelDir, 'model.json');
  const textPresets = textPresetNames().join(', ');
  if (!existsSync(modelJson)) {
    throw new UsageError(`${modelJson} not found: DIR must be a folder written by \`dl train\` with a text preset (${textPresets})`);
  }
  const model = await loadModel(modelDir);
  const presetName = model.metadata?.preset;
  if (typeof presetName !== 'string')
    throw new UsageError(`${modelJson} does not say which preset built it: was it saved by \`dl train\`?`);
  const preset = resolvePreset(presetName);
  if (preset.text === undefined) {
    throw new UsageError(
      `${modelDir} holds a '${preset.name}' model, which does not take text (its input is ${preset.dataset} data): ` +
        `\`dl predict --text\` needs a model of a text preset (${textPresets})`,
    );
  }
  const vocabularyPath = join(modelDir, VOCABULARY_JSON);
  if (!existsSync(vocabularyPath)) {
    throw new UsageError(`${vocabularyPath} not found: a '${preset.name}' model needs the vocabulary \`dl train\` saves beside it`);
  }
  let vocabulary: Awaited<ReturnType<typeof loadVocabulary>>;
  try {
    vocabulary = await loadVocabulary(modelDir);
  } catch (err) {
    throw new UsageError(`${vocabularyPath}: ${(err as Error).message}`);
  }
  const [prediction] = classifyTexts(model, preset.text, vocabulary, [options.text]);
  const { probability, label } = prediction!;
  const out = makeOutput(options);
  out.info(`${label} (probability of ${preset.text.labels[1]}: ${probability.toFixed(4)})`);
  out.json({ probability, label });
}
