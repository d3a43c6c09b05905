/**
 * `exportKeras(runDir, out)`: the network of a dl run as Keras 3 `.keras` files (@dl/core's `model.save('x.keras')`),
 * which `keras.saving.load_model` opens with no custom objects. A classifier run gives one file, `out` (a new path
 * ending in .keras), with its compile settings and Adam's state so Keras can continue the training. A GAN run gives
 * both networks in `out`, a new or empty folder: generator.keras (the generator dl samples from: its moving average
 * when the run kept one) and discriminator.keras.
 *
 * Text presets' tokenizers stay dl's: the Keras model takes the token ids dl's vocabulary makes (README).
 * Nothing is written over: a file at `out` (or a non-empty folder) is refused, and everything is written to temporary
 * names and renamed into place at the end, so a failed export leaves nothing behind.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { loadModel, type Model, OptionError, syncFolder } from '@dl/core';
import { DISCRIMINATOR_DIR, isGanSave } from '../gan/gan-model.js';
import { loadSourceModel, type SourceModel } from './source-model.js';

/** The files of a GAN run's Keras export. */
export const KERAS_GENERATOR = 'generator.keras';
export const KERAS_DISCRIMINATOR = 'discriminator.keras';

export interface KerasExportResult {
  /** The file (classifier) or folder (GAN) written. */
  out: string;
  preset: string;
  kind: SourceModel['kind'];
  /** Each .keras file written, with what it holds. */
  files: { name: string; path: string; bytes: number; network: string; compiled: boolean }[];
}

/**
 * @throws {ModelFileError} when `runDir` is not a dl run folder; {OptionError} when `out` exists (or, for a GAN, is
 *   not an empty folder), or does not fit the run (a GAN run needs a folder, any other run a path ending in .keras).
 */
export async function exportKeras(runDir: string, out: string): Promise<KerasExportResult> {
  const target = resolve(out);
  const gan = isGanSave(resolve(runDir));
  const isKerasPath = target.toLowerCase().endsWith('.keras');
  if (gan && isKerasPath) {
    throw new OptionError(
      `out ${target}: a GAN run exports two networks, so --out is a new or empty folder (it gets ${KERAS_GENERATOR} and ${KERAS_DISCRIMINATOR})`,
    );
  }
  if (!gan && !isKerasPath) throw new OptionError(`out ${target} must end in .keras: the Keras 3 file to write, e.g. model.keras`);
  await assertFree(target, gan);
  const source = await loadSourceModel(runDir);
  const models: [string, Model][] = [[gan ? KERAS_GENERATOR : basename(target), source.model]];
  try {
    if (gan) models.push([KERAS_DISCRIMINATOR, await loadModel(join(source.dir, DISCRIMINATOR_DIR))]);
    const temp = join(dirname(target), `.${basename(target)}.export-${process.pid}-${randomBytes(4).toString('hex')}`);
    await mkdir(temp, { recursive: true });
    try {
      const files = [];
      for (const [name, model] of models) {
        const path = join(temp, name);
        await model.save(path, { overwrite: false });
        files.push({
          name,
          path: gan ? join(target, name) : target,
          bytes: (await stat(path)).size,
          network: model.name,
          compiled: model.isCompiled,
        });
      }
      await syncFolder(temp);
      await assertFree(target, gan); // again: something may have appeared there meanwhile
      // A GAN's folder is renamed into place (over an empty folder the user made); a classifier's file moves out of it.
      await rename(gan ? temp : join(temp, basename(target)), target);
      await syncFolder(dirname(target));
      return { out: target, preset: source.preset.name, kind: source.kind, files };
    } finally {
      await rm(temp, { recursive: true, force: true });
    }
  } finally {
    for (const [, model] of models) {
      if (model.isCompiled) model.optimizer.dispose();
      model.net.dispose();
    }
  }
}

/** A classifier's file must not exist; a GAN's folder must not exist or be empty. */
async function assertFree(path: string, folder: boolean): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (info === undefined) return;
  if (folder && info.isDirectory() && (await readdir(path)).length === 0) return;
  throw new OptionError(
    `out ${path} exists${folder && info.isDirectory() ? ' and is not empty' : ''}: dl exports only to a new ${folder ? 'or empty folder' : 'file'}, so as never to overwrite what it did not write; choose another`,
  );
}
