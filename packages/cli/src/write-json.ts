import { dirname } from 'node:path';
import { makeFolder, writeFileAtomic } from '@dl/core';

/** Writes `value` as JSON to `path` (creating its folder) through a temporary file and a rename: never half a file. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  await makeFolder(dirname(path));
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}
