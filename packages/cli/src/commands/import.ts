import { randomBytes } from 'node:crypto';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadModel, makeFolder, syncFolder } from '@dl/core';
import { makeOutput } from '../output.js';
import { UsageError } from '../usage-error.js';

export interface ImportCommandOptions {
  out?: string;
  json?: boolean;
  quiet?: boolean;
}

/**
 * `dl import model.keras --out DIR`: a Keras 3 `.keras` file, or a legacy Keras 2/3 `.h5` file (core's keras/ reader),
 * saved as a dl model folder, which
 * `loadModel(DIR)` and `dl summary DIR` read. Written whole or not at all: into a temporary folder beside DIR, renamed
 * into place; DIR must be new or empty, as dl never writes over files it did not write.
 */
export async function importCommand(file: string, options: ImportCommandOptions): Promise<void> {
  if (options.out === undefined) throw new UsageError('--out DIR is required: the new or empty folder to write the dl model into');
  const format = /\.keras$/i.test(file) ? 'keras' : /\.(h5|hdf5)$/i.test(file) ? 'keras-h5' : undefined;
  if (format === undefined) {
    throw new UsageError(
      `${file} is neither a .keras nor an .h5 file: dl import reads Keras files saved with model.save("model.keras") (Keras 3) or model.save("model.h5") (Keras 2 or 3)`,
    );
  }
  const out = makeOutput(options);
  const dir = resolve(options.out);
  await assertNewOrEmpty(dir);
  const model = await loadModel(resolve(file));
  try {
    await makeFolder(dirname(dir));
    const temp = join(dirname(dir), `.${basename(dir)}.import-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      await model.save(temp, { metadata: { importedFrom: { format, file: basename(file) } } });
      await assertNewOrEmpty(dir); // again: something may have appeared there while the model was written
      // rename(2) replaces an empty folder, so an empty DIR the user made is taken as it is.
      await rename(temp, dir);
      await syncFolder(dirname(dir));
    } catch (err) {
      await rm(temp, { recursive: true, force: true });
      throw err;
    }
    const parameters = model.net.countParams();
    out.info(`Imported ${file} (${model.net.layers.length} layers, ${parameters.toLocaleString('en-US')} parameters) into ${dir}`);
    out.info(`Inspect it with \`dl summary ${options.out}\`; load it with loadModel('${options.out}').`);
    out.json({ dir, file: resolve(file), layers: model.net.layers.length, parameters });
  } finally {
    model.net.dispose();
  }
}

async function assertNewOrEmpty(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return;
  if (!info.isDirectory()) throw new UsageError(`--out ${dir} is a file, not a folder: choose a new or empty folder`);
  const names = (await readdir(dir)).sort();
  if (names.length > 0) {
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} entries)` : '');
    throw new UsageError(
      `--out ${dir} is not empty (it holds ${shown}): dl imports only into a new or empty folder, so as never to overwrite files it did not write`,
    );
  }
}
