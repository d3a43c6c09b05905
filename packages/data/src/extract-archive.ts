/**
 * Extracting dataset archives (tar, optionally gzip-compressed: `.tar`, `.tar.gz`, `.tgz`) without trusting them.
 *
 * An archive is data from the network: an entry that would land outside the target folder — an absolute path, a
 * path with `..`, a symbolic link or hard link pointing outside, a device file or FIFO — is refused with a
 * DatasetError naming the archive and the entry, and nothing is extracted. Extraction goes to a hidden temp folder
 * beside the target, which is renamed to the target only once complete and checked, so the target either does not
 * exist or holds the whole archive.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readlink, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, posix, relative, resolve, sep } from 'node:path';
import { extract as tarExtract, type ReadEntry } from 'tar';
import { DatasetError } from './dataset-error.js';
import { withFileLock } from './file-lock.js';

export interface ExtractArchiveOptions {
  /** Drop this many leading path components of every entry, as `tar --strip-components` (entries left empty are skipped). */
  strip?: number;
}

const UNSAFE_FIX =
  'The archive is damaged or was tampered with: nothing was extracted. Get it again from its original source, and check its checksum.';

/**
 * Extracts the tar archive `archive` (gzip-compressed or not) so that `destDir` holds its entries, and returns
 * `destDir` (absolute).
 *
 * `destDir` is only ever created complete: if it already exists, it is taken to be an earlier extraction and is
 * returned as is, without reading the archive. Processes extracting into the same `destDir` at once take turns
 * (lock file `.<destDir name>.lock` beside it); temp folders of runs that died are deleted by the next.
 *
 * @throws {DatasetError} naming the archive and the entry, for an entry that would land outside `destDir`
 *   (absolute path, `..`, a symbolic or hard link pointing outside it) or is a device file or FIFO; naming the
 *   archive for a damaged or truncated archive. In both cases `destDir` is not created.
 */
export async function extractArchive(archive: string, destDir: string, options: ExtractArchiveOptions = {}): Promise<string> {
  const dest = resolve(destDir);
  if (await exists(dest)) return dest;
  const parent = dirname(dest);
  await mkdir(parent, { recursive: true });
  return withFileLock(join(parent, `.${basename(dest)}.lock`), async () => {
    if (await exists(dest)) return dest; // extracted by whoever held the lock before us
    // Holding the lock, no other extraction into dest is under way: any temp folder for it is a dead run's.
    for (const name of await readdir(parent)) {
      if (name.startsWith(`.${basename(dest)}.`) && name.endsWith('.extracting'))
        await rm(join(parent, name), { recursive: true, force: true });
    }
    const temp = join(parent, `.${basename(dest)}.${process.pid}.${randomBytes(4).toString('hex')}.extracting`);
    await mkdir(temp);
    try {
      await extractInto(archive, temp, options.strip ?? 0);
      await checkSymlinks(archive, temp);
      await rename(temp, dest);
    } catch (error) {
      await rm(temp, { recursive: true, force: true });
      throw error;
    }
    return dest;
  });
}

/** What is wrong with an entry, or undefined when it may be extracted. Exported for tests. */
export function unsafeEntry(path: string, type: string, linkpath: string | undefined): string | undefined {
  const special = ['CharacterDevice', 'BlockDevice', 'FIFO'];
  if (special.includes(type))
    return `is a ${type === 'FIFO' ? 'FIFO' : 'device file'} (${type}); dataset archives hold only files, folders and links`;
  if (!['File', 'OldFile', 'ContiguousFile', 'Directory', 'GNUDumpDir', 'SymbolicLink', 'Link'].includes(type)) {
    return `has the unsupported entry type ${type}`;
  }
  const pathProblem = escapes(path);
  if (pathProblem !== undefined) return `${pathProblem}, so it would land outside the target folder`;
  if (type === 'SymbolicLink' || type === 'Link') {
    const kind = type === 'Link' ? 'hard link' : 'symbolic link';
    const target = linkpath ?? '';
    if (target === '') return `is a ${kind} without a target`;
    if (isAbsolute(target)) return `is a ${kind} to the absolute path ${target}, outside the target folder`;
    // A symbolic link's target is relative to the link's folder; a hard link's to the archive's root.
    const resolved = posix.normalize(type === 'Link' ? toPosix(target) : posix.join(posix.dirname(toPosix(path)), toPosix(target)));
    if (resolved === '..' || resolved.startsWith('../') || (type === 'Link' && toPosix(target).split('/').includes('..'))) {
      return `is a ${kind} to ${target}, outside the target folder`;
    }
  }
  return undefined;
}

async function extractInto(archive: string, temp: string, strip: number): Promise<void> {
  let refused: { entry: string; problem: string } | undefined;
  const filter = (path: string, entry: ReadEntry | unknown): boolean => {
    if (refused !== undefined) return false;
    const { type, linkpath } = entry as ReadEntry;
    const parts = toPosix(path).split('/');
    // As tar applies `strip` (to the path, and to a hard link's target).
    if (strip > 0 && parts.length <= strip) return false;
    const stripped = strip > 0 ? parts.slice(strip).join('/') : path;
    const link = type === 'Link' && strip > 0 && linkpath !== undefined ? toPosix(linkpath).split('/').slice(strip).join('/') : linkpath;
    const problem = unsafeEntry(stripped, type, link);
    if (problem === undefined) {
      // Permission bits only: no setuid, setgid or sticky bits from an archive.
      if (typeof (entry as ReadEntry).mode === 'number') (entry as ReadEntry).mode! &= 0o777;
      return true;
    }
    refused = { entry: path, problem };
    return false;
  };
  try {
    await tarExtract({
      file: archive,
      cwd: temp,
      strip,
      filter,
      strict: true, // tar's own warnings (a bad header, a truncated body) are errors
      preserveOwner: false, // files belong to whoever extracts, root included
    });
  } catch (cause) {
    if (refused === undefined) {
      // tar's own refusals name the entry (writing through a symbolic link: TAR_SYMLINK_ERROR).
      const entry = (cause as { entry?: { path?: unknown } }).entry?.path;
      if (typeof entry === 'string' && (cause as { tarCode?: unknown }).tarCode === 'TAR_ENTRY_ERROR') {
        throw new DatasetError(archive, `refused entry '${entry}': ${(cause as Error).message}`, UNSAFE_FIX, { cause });
      }
      throw new DatasetError(
        archive,
        `cannot be extracted: ${(cause as Error).message}`,
        'Delete it and download it again (it is damaged or truncated), or replace it with an intact copy.',
        { cause },
      );
    }
  }
  if (refused !== undefined) throw new DatasetError(archive, `refused entry '${refused.entry}': it ${refused.problem}`, UNSAFE_FIX);
}

/**
 * Links whose target lies inside the folder by its text may still lead outside through another link
 * (`a -> .`, `b -> a/..`): once extracted, every symbolic link must resolve inside `root`.
 */
async function checkSymlinks(archive: string, root: string): Promise<void> {
  const realRoot = await realpath(root);
  for (const path of await symlinksUnder(root)) {
    let target: string;
    try {
      target = await realpath(path);
    } catch {
      continue; // dangling: its target, checked by text, is inside
    }
    if (target !== realRoot && !target.startsWith(realRoot + sep)) {
      throw new DatasetError(
        archive,
        `refused entry '${toPosix(relative(root, path))}': it is a symbolic link to ${await readlink(path)}, which leads outside the target folder (to ${target})`,
        UNSAFE_FIX,
      );
    }
  }
}

/** The symbolic links under `dir`, found without following any. */
async function symlinksUnder(dir: string): Promise<string[]> {
  const links: string[] = [];
  const pending = [dir];
  for (let folder = pending.pop(); folder !== undefined; folder = pending.pop()) {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isSymbolicLink()) links.push(path);
      else if (entry.isDirectory()) pending.push(path);
    }
  }
  return links;
}

/** Why an entry path would leave the folder it is extracted into, if it would. */
function escapes(path: string): string | undefined {
  if (path.includes('\0')) return 'has a NUL byte in its path';
  if (isAbsolute(path)) return 'has an absolute path';
  if (toPosix(path).split('/').includes('..')) return "has '..' in its path";
  return undefined;
}

/** Absolute on any platform: `/x`, `\x`, `C:x`, `C:\x`. */
function isAbsolute(path: string): boolean {
  return /^([/\\]|[a-zA-Z]:)/.test(path);
}

function toPosix(path: string): string {
  return path.replaceAll('\\', '/');
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
