import { mkdir, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { datasetsDir, findRepoDatasetsDir } from '../src/datasets-dir.js';
import { tempDir } from './idx-fixtures.js';

const repoRoot = resolve(fileURLToPath(import.meta.url), '../../../..');

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('datasetsDir', () => {
  it('uses DL_DATASETS_DIR when set, resolved to an absolute path', () => {
    vi.stubEnv('DL_DATASETS_DIR', '/tmp/somewhere/datasets');
    expect(datasetsDir()).toBe('/tmp/somewhere/datasets');
    vi.stubEnv('DL_DATASETS_DIR', 'relative/dir');
    expect(datasetsDir()).toBe(resolve('relative/dir'));
  });

  it("uses the monorepo's datasets/ folder when DL_DATASETS_DIR is unset", () => {
    vi.stubEnv('DL_DATASETS_DIR', undefined);
    expect(datasetsDir()).toBe(join(repoRoot, 'datasets'));
  });

  it('finds the repo only where pnpm-workspace.yaml and datasets/README.md both exist', async () => {
    const root = await tempDir();
    try {
      const deep = join(root, 'repo', 'packages', 'data', 'dist');
      await mkdir(deep, { recursive: true });
      await writeFile(join(root, 'repo', 'pnpm-workspace.yaml'), 'packages: []\n');
      expect(findRepoDatasetsDir(deep)).toBeUndefined(); // no datasets/README.md yet
      await mkdir(join(root, 'repo', 'datasets'));
      await writeFile(join(root, 'repo', 'datasets', 'README.md'), '# datasets\n');
      expect(findRepoDatasetsDir(deep)).toBe(join(root, 'repo', 'datasets'));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('falls back to ~/.dl/datasets outside the repo (the walk finds nothing from /)', () => {
    expect(findRepoDatasetsDir('/')).toBeUndefined();
    expect(join(homedir(), '.dl', 'datasets')).toMatch(/\.dl[/\\]datasets$/);
  });
});
