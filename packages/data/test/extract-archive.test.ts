// extractArchive: whole archives land in a new folder through a temp folder and a rename; entries that would land
// outside it are refused, naming the archive and the entry, with nothing extracted.
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, readlink, rm, stat, symlink, writeFile, link } from 'node:fs/promises';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError } from '../src/dataset-error.js';
import { extractArchive } from '../src/extract-archive.js';
import { tempDir } from './idx-fixtures.js';
import { tarArchive, tarGz, type TarEntry } from './tar-fixtures.js';

let root: string;
let dest: string;
beforeEach(async () => {
  root = await tempDir();
  await mkdir(join(root, 'cache'));
  dest = join(root, 'cache', 'extracted');
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function refusal(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

/** Everything under `dir`, as sorted relative paths. */
async function tree(dir: string): Promise<string[]> {
  return (await readdir(dir, { recursive: true })).sort();
}

describe('extractArchive', () => {
  it('extracts a tar.gz made by tar (files, folders, links inside) into a new folder, leaving nothing else behind', async () => {
    const source = join(root, 'source');
    await mkdir(join(source, 'data', 'train'), { recursive: true });
    await writeFile(join(source, 'data', 'README'), 'read me');
    await writeFile(join(source, 'data', 'train', '0_9.txt'), 'a fine film');
    await symlink('train/0_9.txt', join(source, 'data', 'first'));
    await link(join(source, 'data', 'README'), join(source, 'data', 'README.copy'));
    const archive = join(root, 'data.tar.gz');
    await tarCreate({ gzip: true, file: archive, cwd: source, portable: true }, ['data']);

    expect(await extractArchive(archive, dest)).toBe(dest);
    expect(await tree(dest)).toEqual(['data', 'data/README', 'data/README.copy', 'data/first', 'data/train', 'data/train/0_9.txt']);
    expect(await readFile(join(dest, 'data', 'train', '0_9.txt'), 'utf8')).toBe('a fine film');
    expect(await readlink(join(dest, 'data', 'first'))).toBe('train/0_9.txt');
    expect(await readFile(join(dest, 'data', 'README.copy'), 'utf8')).toBe('read me');
    expect(await readdir(join(root, 'cache'))).toEqual(['extracted']); // no temp folder, no lock
  });

  it('strips leading path components like tar --strip-components', async () => {
    const archive = join(root, 'a.tar');
    await writeFile(
      archive,
      tarArchive([
        { path: 'top/', type: 'dir' },
        { path: 'top/sub/x.txt', body: 'x' },
        { path: 'top/link', type: 'hardlink', linkpath: 'top/sub/x.txt' },
      ]),
    );
    await extractArchive(archive, dest, { strip: 1 });
    expect(await tree(dest)).toEqual(['link', 'sub', 'sub/x.txt']);
    expect(await readFile(join(dest, 'link'), 'utf8')).toBe('x');
  });

  it('takes an existing folder as an earlier extraction and leaves it as is', async () => {
    await mkdir(dest);
    await writeFile(join(dest, 'mine'), 'kept');
    expect(await extractArchive(join(root, 'no-such-archive.tar.gz'), dest)).toBe(dest);
    expect(await tree(dest)).toEqual(['mine']);
  });

  it('drops setuid / setgid / sticky bits from entry modes', async () => {
    const archive = join(root, 'modes.tar');
    await writeFile(archive, tarArchive([{ path: 'tool', body: '#!/bin/sh\n', mode: 0o4755 }]));
    await extractArchive(archive, dest);
    expect((await stat(join(dest, 'tool'))).mode & 0o7000).toBe(0);
  });

  const malicious: Array<[what: string, entry: TarEntry, problem: RegExp]> = [
    [
      'a path climbing out with ..',
      { path: '../evil.txt', body: 'pwned' },
      /has '\.\.' in its path, so it would land outside the target folder/,
    ],
    ['a path climbing out from inside a folder', { path: 'ok/../../evil.txt', body: 'pwned' }, /has '\.\.' in its path/],
    ['an absolute path', { path: '/ABSOLUTE/evil.txt', body: 'pwned' }, /has an absolute path/],
    ['a Windows drive path', { path: 'C:\\evil.txt', body: 'pwned' }, /has an absolute path/],
    [
      'a symbolic link climbing out',
      { path: 'escape', type: 'symlink', linkpath: '../../outside' },
      /is a symbolic link to \.\.\/\.\.\/outside, outside the target folder/,
    ],
    [
      'a symbolic link to an absolute path',
      { path: 'etc', type: 'symlink', linkpath: '/etc' },
      /is a symbolic link to the absolute path \/etc/,
    ],
    [
      'a nested symbolic link climbing out',
      { path: 'a/b/up', type: 'symlink', linkpath: '../../../x' },
      /is a symbolic link to \.\.\/\.\.\/\.\.\/x/,
    ],
    [
      'a hard link to an outside file',
      { path: 'passwd', type: 'hardlink', linkpath: '../outside.txt' },
      /is a hard link to \.\.\/outside\.txt, outside the target folder/,
    ],
    [
      'a hard link to an absolute path',
      { path: 'passwd', type: 'hardlink', linkpath: '/etc/passwd' },
      /is a hard link to the absolute path \/etc\/passwd/,
    ],
    ['a character device', { path: 'zero', type: 'chardev' }, /is a device file \(CharacterDevice\)/],
    ['a FIFO', { path: 'pipe', type: 'fifo' }, /is a FIFO/],
  ];

  for (const [what, entry, problem] of malicious) {
    it(`refuses ${what}, naming the archive and the entry, and extracts nothing`, async () => {
      const archive = join(root, 'evil.tar.gz');
      // Harmless entries first: they must not survive the refusal either.
      const entries: TarEntry[] = [
        { path: 'fine/', type: 'dir' },
        { path: 'fine/a.txt', body: 'a' },
      ];
      if (entry.type === 'symlink' && entry.path.includes('/')) entries.push({ path: 'a/', type: 'dir' }, { path: 'a/b/', type: 'dir' });
      entries.push(entry, { path: 'fine/b.txt', body: 'b' });
      await writeFile(
        archive,
        tarGz(entries.map((e) => (e.path.startsWith('/ABSOLUTE') ? { ...e, path: join(root, 'abs-evil.txt') } : e))),
      );
      const error = await refusal(extractArchive(archive, dest));
      expect(error.file).toBe(archive);
      expect(error.message).toContain(archive);
      const shown = entry.path.startsWith('/ABSOLUTE') ? join(root, 'abs-evil.txt') : entry.path;
      expect(error.message).toContain(`refused entry '${shown}'`);
      expect(error.message).toMatch(problem);
      expect(error.message).toContain('nothing was extracted');
      expect(existsSync(dest)).toBe(false);
      expect(await readdir(join(root, 'cache'))).toEqual([]); // no temp folder, no lock
      expect((await readdir(root)).sort()).toEqual(['cache', 'evil.tar.gz']); // nothing written beside it either
    });
  }

  it('refuses a symbolic link that leads outside through another link (a -> ., b -> a/..)', async () => {
    const archive = join(root, 'chain.tar');
    await writeFile(
      archive,
      tarArchive([
        { path: 'a', type: 'symlink', linkpath: '.' },
        { path: 'b', type: 'symlink', linkpath: 'a/..' },
      ]),
    );
    const error = await refusal(extractArchive(archive, dest));
    expect(error.message).toContain(archive);
    expect(error.message).toContain("refused entry 'b'");
    expect(error.message).toContain('leads outside the target folder');
    expect(existsSync(dest)).toBe(false);
    expect(await readdir(join(root, 'cache'))).toEqual([]);
  });

  it('never writes through a symbolic link, even one pointing inside', async () => {
    // tar itself refuses (TAR_SYMLINK_ERROR), and strict mode makes that an error.
    const archive = join(root, 'through.tar');
    await writeFile(
      archive,
      tarArchive([
        { path: 'real/', type: 'dir' },
        { path: 'alias', type: 'symlink', linkpath: 'real' },
        { path: 'alias/x.txt', body: 'x' },
      ]),
    );
    const error = await refusal(extractArchive(archive, dest));
    expect(error.message).toContain(archive);
    expect(error.message).toContain("refused entry 'alias/x.txt'");
    expect(error.message).toContain('nothing was extracted');
    expect(existsSync(dest)).toBe(false);
  });

  it('a truncated or corrupt archive is a DatasetError naming it, and extracts nothing', async () => {
    const whole = tarGz([
      { path: 'a.txt', body: 'a'.repeat(100_000) },
      { path: 'b.txt', body: 'b'.repeat(100_000) },
    ]);
    const archive = join(root, 'cut.tar.gz');
    await writeFile(archive, whole.subarray(0, Math.floor(whole.length / 2)));
    const error = await refusal(extractArchive(archive, dest));
    expect(error.message).toContain(`${archive}: cannot be extracted`);
    expect(existsSync(dest)).toBe(false);
    expect(await readdir(join(root, 'cache'))).toEqual([]);

    await writeFile(archive, 'not an archive at all, just text that is long enough to look at'.repeat(20));
    await refusal(extractArchive(archive, dest));
    expect(existsSync(dest)).toBe(false);
  });

  it('cleans up the temp folder of an extraction that died', async () => {
    const stale = join(root, 'cache', '.extracted.99999.deadbeef.extracting');
    await mkdir(stale);
    await writeFile(join(stale, 'half'), 'x');
    const archive = join(root, 'ok.tar');
    await writeFile(archive, tarArchive([{ path: 'x.txt', body: 'x' }]));
    await extractArchive(archive, dest);
    expect(await readdir(join(root, 'cache'))).toEqual(['extracted']);
    expect((await lstat(join(dest, 'x.txt'))).isFile()).toBe(true);
  });
});
