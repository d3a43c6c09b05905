/**
 * `dl export --web`: the static site written beside an exported model. The page's files are templates in
 * packages/cli/web/ (copied as they are: index.html and style.css shared by every kind, app.js which loads the model and
 * the module of the model's kind), plus TensorFlow.js's browser bundle from the @tensorflow/tfjs package (the same
 * version as dl's tfjs-core), so the site needs no CDN and no build step. The kind comes from dl-model.json.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@dl/core';
import type { DlModelJson, ExportKind } from '@dl/models';
import { UsageError } from './usage-error.js';

/** The kinds of exported model a page exists for; each has its module `web/<kind>.js`. */
export const WEB_KINDS: readonly ExportKind[] = ['image-classifier', 'text-classifier', 'gan-generator'];

/** packages/cli/web/, from src/ and from dist/ alike. */
const TEMPLATES = resolve(dirname(fileURLToPath(import.meta.url)), '../web');
/** The ES-module build of TensorFlow.js (one file, no imports), loaded by app.js as `./tf.fesm.min.js`. */
export const TFJS_BUNDLE = 'tf.fesm.min.js';
/** What the page needs beside the site's own files, by kind (written by `dl export`). */
const MODEL_FILES: Record<ExportKind, readonly string[]> = {
  'image-classifier': ['model.json', 'dl-model.json'],
  'text-classifier': ['model.json', 'dl-model.json', 'vocabulary.json', 'tokenizer.js'],
  'gan-generator': ['model.json', 'dl-model.json'],
};

/** The browser bundle of the @tensorflow/tfjs this package depends on. */
export function tfjsBundlePath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@tensorflow/tfjs/package.json')), 'dist', TFJS_BUNDLE);
}

/**
 * Writes the site into `dir`, an export's folder (`dl export` calls it with the folder it is writing, before renaming
 * it into place); model.json, dl-model.json and, for text models, vocabulary.json and tokenizer.js must be there.
 * Returns the names of the files written.
 */
export async function writeWebSite(dir: string, { kind }: Pick<DlModelJson, 'kind'>): Promise<string[]> {
  if (!WEB_KINDS.includes(kind)) {
    throw new UsageError(`--web: no web page for a model of kind ${JSON.stringify(kind)} (pages exist for ${WEB_KINDS.join(', ')})`);
  }
  const missing = MODEL_FILES[kind].filter((name) => !existsSync(join(dir, name)));
  if (missing.length > 0) throw new Error(`--web: ${missing.join(', ')} missing in ${dir}: the export must write them first`);
  const files: Array<[name: string, source: string]> = [
    ...['index.html', 'style.css', 'app.js', `${kind}.js`].map((name): [string, string] => [name, join(TEMPLATES, name)]),
    [TFJS_BUNDLE, tfjsBundlePath()],
  ];
  for (const [name, source] of files) await writeFileAtomic(join(dir, name), await readFile(source));
  return files.map(([name]) => name);
}
