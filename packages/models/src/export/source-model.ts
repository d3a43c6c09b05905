/**
 * The model a run folder holds, as export and evaluate-on-export need it: the network (for a GAN run, the generator
 * it samples from: its moving average when kept), the preset that built it, and the kind of model.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel, type Model, ModelFileError } from '@dl/core';
import { isGanSave, samplingGeneratorDir } from '../gan/gan-model.js';
import type { Preset } from '../preset.js';
import { getPreset, PRESETS } from '../registry.js';
import { VOCABULARY_JSON } from '../vocabulary.js';
import { DL_MODEL_JSON, type ExportKind } from './dl-model-json.js';

export interface SourceModel {
  /** The run folder. */
  dir: string;
  /** The folder of the model.json loaded (`dir`, or a GAN's `dir/generator-ema`). */
  modelDir: string;
  model: Model;
  preset: Preset;
  kind: ExportKind;
}

/**
 * Loads the model of the dl run folder `dir` (written by `dl train`).
 *
 * @throws {ModelFileError} when `dir` is not a dl run folder (naming what is missing), or its model names no preset.
 */
export async function loadSourceModel(dir: string): Promise<SourceModel> {
  const runDir = resolve(dir);
  if (isGanSave(runDir)) {
    const modelDir = samplingGeneratorDir(runDir);
    return { dir: runDir, modelDir, model: await loadModel(modelDir), preset: PRESETS['gan']!, kind: 'gan-generator' };
  }
  const modelJson = join(runDir, 'model.json');
  if (existsSync(join(runDir, DL_MODEL_JSON))) {
    throw new ModelFileError(join(runDir, DL_MODEL_JSON), 'this folder is an export already: export the run folder it came from instead');
  }
  if (!existsSync(modelJson)) {
    throw new ModelFileError(
      modelJson,
      'not found: give the folder of a run written by `dl train` (model.json, or generator/model.json for a GAN), e.g. runs/cnn-…',
    );
  }
  const model = await loadModel(runDir);
  const name = model.metadata?.['preset'];
  if (typeof name !== 'string' || !Object.hasOwn(PRESETS, name)) {
    throw new ModelFileError(
      modelJson,
      `does not name a dl preset (metadata.preset is ${JSON.stringify(name)}): only models trained by \`dl train\` can be exported`,
    );
  }
  const preset = getPreset(name);
  if (preset.text !== undefined && !existsSync(join(runDir, VOCABULARY_JSON))) {
    throw new ModelFileError(
      join(runDir, VOCABULARY_JSON),
      `not found: a ${name} model needs the vocabulary it was trained with; the run folder is incomplete`,
    );
  }
  return { dir: runDir, modelDir: runDir, model, preset, kind: preset.text !== undefined ? 'text-classifier' : 'image-classifier' };
}
