/**
 * A Keras 3 `.keras` file: a zip of config.json (the model's architecture), metadata.json (the Keras version) and
 * model.weights.h5 (the variables). Read whole: the files dl imports are models, not data sets.
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import { ModelFileError } from '../errors/model-file-error.js';

export interface KerasArchive {
  config: Record<string, unknown>;
  metadata: Record<string, unknown>;
  weightsH5: Uint8Array;
}

export async function readKerasArchive(file: string): Promise<KerasArchive> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ModelFileError(file, code === 'ENOENT' ? 'no such file' : `cannot be read (${(cause as Error).message})`, { cause });
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (cause) {
    throw new ModelFileError(file, `cannot read it as a Keras 3 .keras zip (${(cause as Error).message})`, { cause });
  }
  const json = (name: string): Record<string, unknown> => {
    const bytes = entries[name];
    if (!bytes) {
      throw new ModelFileError(
        file,
        `holds no ${name}: not a Keras 3 .keras file (it has: ${Object.keys(entries).join(', ') || 'nothing'})`,
      );
    }
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    } catch (cause) {
      throw new ModelFileError(file, `its ${name} is not valid JSON`, { cause });
    }
  };
  const config = json('config.json');
  const metadata = json('metadata.json');
  const weightsH5 = entries['model.weights.h5'];
  if (!weightsH5) throw new ModelFileError(file, 'holds no model.weights.h5: save it with Keras 3 `model.save("x.keras")`');
  const version = String(metadata.keras_version ?? '');
  if (!version.startsWith('3.')) {
    throw new ModelFileError(file, `was written by Keras ${version || '(unknown version)'}; dl reads .keras files of Keras 3`);
  }
  return { config, metadata, weightsH5 };
}
