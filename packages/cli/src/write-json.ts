import { rename, writeFile } from 'node:fs/promises';

/** Writes `value` as JSON to `path` through a temporary file and a rename, so readers never see half a file. */
export async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}
