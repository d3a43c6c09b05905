/**
 * `mkdir -p` that fails rather than hangs. Node's own `mkdir(path, { recursive: true })` (20.20, measured) loops
 * forever where the kernel answers ENOENT for a folder whose parent exists — any path under /proc, e.g.
 * `--out /proc/x` — so dl would hang on a bad path instead of naming it. These walk up to the first existing
 * ancestor and create each missing folder below it exactly once: an error is the kernel's, with the path.
 */
import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** Creates `path` and its missing parents; returns the first folder it created (as mkdir recursive), or undefined if none. */
export async function makeFolder(path: string): Promise<string | undefined> {
  const missing: string[] = [];
  for (let dir = resolve(path); !(await exists(dir)); dir = dirname(dir)) {
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.toReversed()) await mkdir(dir).catch(ignoreExisting);
  return missing.at(-1);
}

/** The same, synchronously (for callers that cannot await, such as a summary writer's factory). */
export function makeFolderSync(path: string): string | undefined {
  const missing: string[] = [];
  for (let dir = resolve(path); !existsSync(dir); dir = dirname(dir)) {
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.toReversed()) {
    try {
      mkdirSync(dir);
    } catch (error) {
      ignoreExisting(error);
    }
  }
  return missing.at(-1);
}

// Any failure to stat (ENOENT; ENOTDIR: a part is a file; EACCES) counts as missing: the mkdir below then fails
// with the error to report, naming the folder it could not create.
async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function existsSync(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

// Another process (a second `dl train`) may create a folder between our look and our mkdir.
function ignoreExisting(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
}
