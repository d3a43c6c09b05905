import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadModel } from '@dl/core';
import { classifyTexts, loadVocabulary, readExportMeta, textPresetNames, VOCABULARY_JSON } from '@dl/models';
import { makeOutput } from '../output.js';
import { UsageError } from '../usage-error.js';
import { resolvePreset } from './resolve-preset.js';

export interface PredictCommandOptions {
  text?: string;
  /** A file holding the text, or '-' for standard input. */
  file?: string;
  json?: boolean;
  quiet?: boolean;
}

/**
 * `dl predict DIR --text "…"`: classifies a text with a model trained by a text preset (its run folder or its export,
 * quantized or not), indexing it with the vocabulary saved beside the model (`vocabulary.json`); prints the probability
 * of the positive class and the label.
 */
export async function predict(dir: string, options: PredictCommandOptions): Promise<void> {
  if ((options.text === undefined) === (options.file === undefined)) {
    throw new UsageError('give the text to classify with exactly one of --text "…" and --file PATH (--file - reads standard input)');
  }
  // Read before loading the model, so a wrong path fails at once.
  const text = options.text ?? (await readText(options.file!));
  const modelDir = resolve(dir);
  const modelJson = join(modelDir, 'model.json');
  const textPresets = textPresetNames().join(', ');
  if (!existsSync(modelJson)) {
    throw new UsageError(
      `${modelJson} not found: DIR must be a folder written by \`dl train\` with a text preset (${textPresets}), or its \`dl export\``,
    );
  }
  const model = await loadModel(modelDir);
  // An export says its preset in dl-model.json; a run folder in model.json's metadata.
  const presetName = (await readExportMeta(modelDir))?.preset ?? model.metadata?.preset;
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
  const [prediction] = classifyTexts(model, preset.text, vocabulary, [text]);
  const { probability, label, knownTokens } = prediction!;
  const out = makeOutput(options);
  if (knownTokens === 0) {
    // Still an answer (scripts may classify in bulk), but the user must know it carries no information about the text.
    process.stderr.write(
      `warning: ${text.trim() === '' ? 'the text is empty' : "none of the text's words are in the vocabulary"}: ` +
        "the prediction reflects the model's bias only; give an English text with some common words\n",
    );
  }
  out.info(`${label} (probability of ${preset.text.labels[1]}: ${probability.toFixed(4)})`);
  out.json({ probability, label, knownTokens });
}

/** The text of `--file PATH`, or of standard input for `--file -`; a path that cannot be read is a usage error naming it. */
async function readText(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  const file = resolve(path);
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message;
    throw new UsageError(`--file ${file}: ${why}: give the path of a text file, or '-' to read standard input`);
  }
}
