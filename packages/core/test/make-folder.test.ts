// makeFolder: mkdir -p that reports a bad path instead of looping on it as Node's recursive mkdir does under /proc.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeFolder, makeFolderSync } from '../src/make-folder.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dl-make-folder-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe.each([
  ['makeFolder', makeFolder],
  ['makeFolderSync', async (path: string) => makeFolderSync(path)],
] as const)('%s', (_name, make) => {
  it('creates the missing folders and returns the first it created, as mkdir -p does', async () => {
    const path = join(root, 'a', 'b', 'c');
    expect(await make(path)).toBe(join(root, 'a'));
    expect((await stat(path)).isDirectory()).toBe(true);
    expect(await make(path)).toBeUndefined();
  });

  it('fails with ENOENT under /proc, where the kernel refuses it (Node recursive mkdir never returns there)', async () => {
    await expect(make('/proc/dl-make-folder/x')).rejects.toMatchObject({ code: 'ENOENT', path: '/proc/dl-make-folder' });
  });

  it('fails with ENOTDIR when a part of the path is a file', async () => {
    await writeFile(join(root, 'f'), '');
    await expect(make(join(root, 'f', 'x'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  it('lets many callers create the same folders at once', async () => {
    const path = join(root, 'p', 'q');
    await Promise.all(Array.from({ length: 8 }, () => make(path)));
    expect((await stat(path)).isDirectory()).toBe(true);
  });
});
