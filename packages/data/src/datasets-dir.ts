import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory where datasets are cached, in this order:
 * 1. `$DL_DATASETS_DIR`, if set;
 * 2. the repo's `datasets/` folder, when this package runs from inside the
 *    dl monorepo (so a checkout keeps its data next to its code);
 * 3. `~/.dl/datasets`.
 *
 * Read on every call, not at import time, so the environment can change.
 */
export function datasetsDir(): string {
  const fromEnv = process.env['DL_DATASETS_DIR'];
  if (fromEnv) return resolve(fromEnv);
  const here = dirname(fileURLToPath(import.meta.url));
  return findRepoDatasetsDir(here) ?? join(homedir(), '.dl', 'datasets');
}

/**
 * Walks up from `startDir` to the monorepo root, recognised by holding both
 * `pnpm-workspace.yaml` and `datasets/README.md`, and returns its `datasets/`.
 */
export function findRepoDatasetsDir(startDir: string): string | undefined {
  let dir = resolve(startDir);
  for (;;) {
    const datasets = join(dir, 'datasets');
    if (existsSync(join(dir, 'pnpm-workspace.yaml')) && existsSync(join(datasets, 'README.md'))) {
      return datasets;
    }
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
