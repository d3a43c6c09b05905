/** Reading an export folder back (`dl evaluate OUT`): its dl-model.json and its model, dequantized as TF.js loads it. */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadModel, type Model, ModelFileError } from '@dl/core';
import type { Preset } from '../preset.js';
import { PRESETS } from '../registry.js';
import { DL_MODEL_JSON, type DlModelJson } from './dl-model-json.js';

export interface LoadedExport {
  dir: string;
  meta: DlModelJson;
  /** The exported network, weights dequantized to float32 (uncompiled: compile with the preset's compileOptions). */
  model: Model;
  preset: Preset;
}

/**
 * Reads `dir/dl-model.json` (undefined when there is none: not an export).
 *
 * @throws {ModelFileError} when it is not an export's dl-model.json.
 */
export async function readExportMeta(dir: string): Promise<DlModelJson | undefined> {
  const path = join(resolve(dir), DL_MODEL_JSON);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelFileError(path, `cannot be read (${(err as Error).message})`);
  }
  let meta: Partial<DlModelJson>;
  try {
    meta = JSON.parse(text) as Partial<DlModelJson>;
  } catch (err) {
    throw new ModelFileError(path, `not valid JSON (${(err as Error).message}); export the run again with \`dl export\``);
  }
  if (meta?.format !== 'dl-export') throw new ModelFileError(path, "not a dl export's description (format is not 'dl-export')");
  if (meta.version !== 1) throw new ModelFileError(path, `version ${JSON.stringify(meta.version)}: this dl reads version 1`);
  if (typeof meta.preset !== 'string' || !Object.hasOwn(PRESETS, meta.preset)) {
    throw new ModelFileError(path, `names no dl preset (preset: ${JSON.stringify(meta.preset)})`);
  }
  return meta as DlModelJson;
}

/** Loads the export in `dir`: its description and its model. */
export async function loadExport(dir: string): Promise<LoadedExport> {
  const folder = resolve(dir);
  const meta = await readExportMeta(folder);
  if (meta === undefined) throw new ModelFileError(join(folder, DL_MODEL_JSON), 'not found: not a folder written by `dl export`');
  return { dir: folder, meta, model: await loadModel(folder), preset: PRESETS[meta.preset]! };
}
