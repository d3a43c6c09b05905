/**
 * `exportModel(runDir, outDir)`: a trained dl model as a folder a web page or a server uses without dl — TF.js's web
 * layout (model.json + `group1-shard…bin`, no optimizer state, weights optionally quantized; @dl/core's writeWebModel),
 * `dl-model.json` (dl-model-json.ts: how to feed the model and read its output) and, for text presets, the vocabulary
 * and the tokenizer module that encodes text exactly as training did. A GAN run exports its generator.
 *
 * The folder is written whole or not at all: into a temporary folder beside `outDir`, renamed into place at the end,
 * removed on failure. `outDir` must be new or empty: dl never writes over files it did not write.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { OptionError, syncFolder, type WeightQuantization, writeFileAtomic, writeWebModel } from '@dl/core';
import { tokenizerModulePath } from '@dl/data';
import { VOCABULARY_JSON } from '../vocabulary.js';
import { DL_MODEL_JSON, type DlModelJson, EXPORT_TOKENIZER_JS, EXPORT_VOCABULARY_JSON } from './dl-model-json.js';
import { loadSourceModel, type SourceModel } from './source-model.js';

export interface ExportOptions {
  /** Quantize the weights (`float16`: half the size; `uint8`: a quarter); default float32. */
  quantize?: WeightQuantization | undefined;
  /**
   * Writes more files into the export (the CLI's `--web` site), called with the folder being written once the model,
   * dl-model.json and the text files are in it, before it is renamed into place: the export is whole or absent.
   */
  addFiles?: ((dir: string, meta: DlModelJson) => Promise<unknown>) | undefined;
}

export interface ExportResult {
  /** The export folder. */
  dir: string;
  meta: DlModelJson;
  /** Every file written, with its size in bytes. */
  files: { name: string; bytes: number }[];
}

/**
 * Exports the model of the dl run folder `runDir` into `outDir` (new or empty).
 *
 * @throws {ModelFileError} when `runDir` is not a dl run folder; {OptionError} when `outDir` is not new or empty, or
 *   `quantize` is not float16 or uint8.
 */
export async function exportModel(runDir: string, outDir: string, options: ExportOptions = {}): Promise<ExportResult> {
  const out = resolve(outDir);
  await assertNewOrEmpty(out);
  const source = await loadSourceModel(runDir);
  try {
    return await writeExport(source, out, options);
  } finally {
    source.model.net.dispose();
  }
}

async function writeExport(source: SourceModel, out: string, options: ExportOptions): Promise<ExportResult> {
  await mkdir(dirname(out), { recursive: true });
  await removeDeadTempFolders(out);
  const temp = join(dirname(out), `.${basename(out)}.export-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(temp);
  try {
    const web = await writeWebModel(source.model, temp, { quantize: options.quantize });
    const meta = describe(source, options.quantize ?? 'float32', web.parameters, web.weightBytes, web.float32Sha256);
    if (source.kind === 'text-classifier') {
      await copyFile(join(source.dir, VOCABULARY_JSON), join(temp, EXPORT_VOCABULARY_JSON));
      await copyFile(tokenizerModulePath(), join(temp, EXPORT_TOKENIZER_JS));
    }
    await writeFileAtomic(join(temp, DL_MODEL_JSON), `${JSON.stringify(meta, null, 2)}\n`);
    await options.addFiles?.(temp, meta);
    await syncFolder(temp);
    const names = (await readdir(temp)).sort();
    const files = await Promise.all(names.map(async (name) => ({ name, bytes: (await stat(join(temp, name))).size })));
    await assertNewOrEmpty(out); // again: something may have appeared there while the model was written
    // rename(2) replaces an empty folder, so an empty outDir the user made is taken as it is.
    await rename(temp, out);
    await syncFolder(dirname(out));
    return { dir: out, meta, files };
  } catch (err) {
    await rm(temp, { recursive: true, force: true });
    throw err;
  }
}

/** dl-model.json for `source`, its keys in the order of DlModelJson (what a reader sees first: what the model is). */
function describe(source: SourceModel, quantization: DlModelJson['quantization'], parameters: number, weightBytes: number, sha: string) {
  const { model, preset, kind } = source;
  const inputShape = model.net.inputs[0]!.shape.slice(1) as number[];
  const outputShape = model.net.outputs[0]!.shape.slice(1) as number[];
  let specific: Partial<DlModelJson>;
  if (kind === 'image-classifier') {
    specific = {
      output: { type: 'probabilities', shape: outputShape },
      labels: Array.from({ length: outputShape[0]! }, (_, i) => String(i)),
      pixelRange: [...(preset.pixelRange ?? [0, 1])] as [number, number],
    };
  } else if (kind === 'text-classifier') {
    const text = preset.text!;
    specific = {
      output: { type: 'probability', shape: outputShape },
      labels: [...text.labels],
      sequenceLength: text.input.length,
      textInput: text.input,
      vocabulary: EXPORT_VOCABULARY_JSON,
      tokenizer: EXPORT_TOKENIZER_JS,
    };
  } else {
    specific = {
      output: { type: 'image', shape: outputShape, range: [...(preset.pixelRange ?? [-1, 1])] as [number, number] },
      latentDim: inputShape[0]!,
    };
  }
  const meta: DlModelJson = {
    format: 'dl-export',
    version: 1,
    preset: preset.name,
    kind,
    inputShape,
    inputDtype: kind === 'text-classifier' ? 'int32' : 'float32',
    output: specific.output!,
    ...specific,
    quantization,
    parameters,
    weightBytes,
    source: { dir: source.dir, float32Sha256: sha },
    createdBy: `dl ${DL_VERSION}`,
  };
  return meta;
}

/** Temp folders of exports to `out` whose process is gone (killed mid-export): removed, so none accumulate. */
async function removeDeadTempFolders(out: string): Promise<void> {
  const prefix = `.${basename(out)}.export-`;
  for (const name of await readdir(dirname(out))) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    if (Number.isSafeInteger(pid) && pid > 0 && !isAlive(pid)) await rm(join(dirname(out), name), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** `dir` must not exist, or be an empty folder. */
async function assertNewOrEmpty(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return;
  if (!info.isDirectory()) throw new OptionError(`out ${dir} is a file, not a folder: choose a new or empty folder for the export`);
  const names = await readdir(dir);
  if (names.length > 0) {
    const shown = names.sort().slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} entries)` : '');
    throw new OptionError(
      `out ${dir} is not empty (it holds ${shown}): dl exports only into a new or empty folder, so as never to overwrite files it did not write; choose another`,
    );
  }
}

const DL_VERSION = (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
