// imdb.loadData reads Stanford's aclImdb_v1.tar.gz: extracted once into aclImdb/ beside it, safely.
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../src/dataset-error.js';
import { loadData } from '../src/imdb.js';
import { raggedRows } from '../src/ragged.js';
import { writeAclImdb } from './imdb-fixtures.js';
import { tarGz } from './tar-fixtures.js';
import { eachTestInTempFolder } from './dataset-test-setup.js';

let root: string;
let lines: string[];
const log = (line: string) => void lines.push(line);

eachTestInTempFolder((dir) => {
  root = dir;
  lines = [];
});

/** Packs an aclImdb fixture folder as Stanford's archive does: every entry under aclImdb/. */
async function writeAclImdbArchive(path: string): Promise<void> {
  const source = join(root, 'source');
  await writeAclImdb(join(source, 'aclImdb'));
  await mkdir(join(path, '..'), { recursive: true });
  await tarCreate({ gzip: true, file: path, cwd: source, portable: true }, ['aclImdb']);
}

describe('imdb aclImdb_v1.tar.gz', () => {
  it('in dataDir: is extracted into aclImdb/ beside it, and reads as the folder does', async () => {
    const fromFolder = join(root, 'folder');
    await writeAclImdb(join(fromFolder, 'aclImdb'));
    const expected = await loadData({ dataDir: fromFolder, seed: null, log: false });

    const dataDir = join(root, 'data');
    await writeAclImdbArchive(join(dataDir, 'aclImdb_v1.tar.gz'));
    const [train, test] = await loadData({ dataDir, seed: null, log });
    expect([raggedRows(train[0]).map((row) => Array.from(row)), Array.from(train[1].data)]).toEqual([
      raggedRows(expected[0][0]).map((row) => Array.from(row)),
      Array.from(expected[0][1].data),
    ]);
    expect(Array.from(test[1].data)).toEqual(Array.from(expected[1][1].data));
    expect(lines).toEqual([`IMDB: dataDir, Stanford aclImdb folder (${join(dataDir, 'aclImdb')})`]);
    expect((await readdir(dataDir)).sort()).toEqual(['aclImdb', 'aclImdb_v1.tar.gz']);
    expect((await readdir(join(dataDir, 'aclImdb'))).sort()).toEqual(['test', 'train']);
  });

  it('in the cache: is extracted there once', async () => {
    const cacheDir = join(root, 'cache');
    await writeAclImdbArchive(join(cacheDir, 'imdb', 'aclImdb_v1.tar.gz'));
    const [[x]] = await loadData({ cacheDir, log });
    expect(x.length).toBe(4);
    expect(existsSync(join(cacheDir, 'imdb', 'aclImdb', 'train', 'neg', '9_1.txt'))).toBe(true);
    await loadData({ cacheDir, log });
    expect(lines).toEqual(Array(2).fill(`IMDB: cache, Stanford aclImdb folder (${join(cacheDir, 'imdb', 'aclImdb')})`));
  });

  it('refuses an archive with an entry reaching outside, naming archive and entry, and extracts nothing', async () => {
    const dataDir = join(root, 'data');
    await mkdir(dataDir);
    const archive = join(dataDir, 'aclImdb_v1.tar.gz');
    await writeFile(
      archive,
      tarGz([
        { path: 'aclImdb/train/neg/0_1.txt', body: 'bad' },
        { path: 'aclImdb/../../../escaped.txt', body: 'pwned' },
      ]),
    );
    const error = await loadData({ dataDir, log }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatasetError);
    expect((error as DatasetError).message).toContain(archive);
    expect((error as DatasetError).message).toContain("refused entry 'aclImdb/../../../escaped.txt'");
    expect(await readdir(dataDir)).toEqual(['aclImdb_v1.tar.gz']);
    expect(existsSync(join(root, 'escaped.txt'))).toBe(false);
  });
});
