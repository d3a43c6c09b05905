import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DatasetError } from './dataset-error.js';
import { datasetsDir } from './datasets-dir.js';

export interface GetFileOptions {
  /** URL to download the file from when it is not cached. */
  origin: string;
  /** Expected sha256 (hex) of the file; checked on the cached copy and on every download. */
  sha256?: string;
  /**
   * Expected md5 (hex), checked the same way. Only for files whose publisher
   * gives nothing stronger (Keras's `imdb_word_index.json`); prefer `sha256`.
   */
  md5?: string;
  /** Cache root; defaults to `datasetsDir()`. */
  cacheDir?: string;
  /** Folder under `cacheDir` for this dataset, e.g. `'mnist'`. */
  cacheSubdir?: string;
}

/**
 * Returns the path of `fileName` in the cache, downloading it from `origin`
 * first if it is absent (or its sha256 / md5 does not match).
 *
 * Downloads go to a temp file in the same directory and are renamed into
 * place only once verified, so an interrupted or corrupt download never
 * sits under the final name.
 */
export async function getFile(fileName: string, options: GetFileOptions): Promise<string> {
  if (basename(fileName) !== fileName) {
    throw new TypeError(`getFile: fileName must be a bare file name, got ${JSON.stringify(fileName)}`);
  }
  const dir = join(options.cacheDir ?? datasetsDir(), options.cacheSubdir ?? '');
  const path = join(dir, fileName);
  const expected: Hashes = { sha256: options.sha256?.toLowerCase(), md5: options.md5?.toLowerCase() };

  if (await isFile(path)) {
    // A cached copy with the wrong hash is stale or damaged: fetch it again, as Keras does.
    if (mismatch(expected, await hashesOfFile(path, expected)) === undefined) return path;
  }

  await mkdir(dir, { recursive: true });
  // Hidden and unique, so concurrent runs don't collide and loaders never pick it up.
  const temp = join(dir, `.${fileName}.${process.pid}.${randomBytes(4).toString('hex')}.download`);
  try {
    const wrong = mismatch(expected, await download(options.origin, temp, path));
    if (wrong !== undefined) {
      throw new DatasetError(
        path,
        `${wrong.algorithm} mismatch for the download from ${options.origin}: expected ${wrong.expected}, got ${wrong.actual}; the download was discarded`,
        `Re-run to download it again; if it keeps failing the mirror serves a different file, so fetch it by hand, check its ${wrong.algorithm} and put it at this path.`,
      );
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return path;
}

type Algorithm = 'sha256' | 'md5';
type Hashes = Partial<Record<Algorithm, string>>;

/** The first expected hash that `actual` contradicts, if any. */
function mismatch(expected: Hashes, actual: Hashes): { algorithm: Algorithm; expected: string; actual: string | undefined } | undefined {
  for (const algorithm of ['sha256', 'md5'] as const) {
    const want = expected[algorithm];
    if (want !== undefined && actual[algorithm] !== want) return { algorithm, expected: want, actual: actual[algorithm] };
  }
  return undefined;
}

/** Streams `origin` into `temp` and returns the sha256 and md5 of what was written. */
async function download(origin: string, temp: string, path: string): Promise<Hashes> {
  const fix = `Check the network connection and re-run, or download ${origin} by hand and put it at this path.`;
  let response: Response;
  try {
    response = await fetch(origin);
  } catch (cause) {
    throw new DatasetError(path, `could not download ${origin}: ${describe(cause)}`, fix, { cause });
  }
  if (!response.ok || response.body === null) {
    throw new DatasetError(path, `could not download ${origin}: HTTP ${response.status} ${response.statusText}`, fix);
  }
  const sha256 = createHash('sha256');
  const md5 = createHash('md5');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      sha256.update(chunk);
      md5.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      hashing,
      createWriteStream(temp, { flags: 'wx' }),
    );
  } catch (cause) {
    throw new DatasetError(path, `download from ${origin} failed: ${describe(cause)}`, fix, { cause });
  }
  return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
}

/** The hashes of a file that `wanted` asks for. */
async function hashesOfFile(path: string, wanted: Hashes): Promise<Hashes> {
  return {
    sha256: wanted.sha256 === undefined ? undefined : await sha256OfFile(path),
    md5: wanted.md5 === undefined ? undefined : await hashOfFile(path, 'md5'),
  };
}

/** The sha256 (hex) of a file, streamed so large files are not held in memory. */
export async function sha256OfFile(path: string): Promise<string> {
  return hashOfFile(path, 'sha256');
}

async function hashOfFile(path: string, algorithm: Algorithm): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // fetch reports "fetch failed" and hides the real reason (ENOTFOUND, ECONNREFUSED...) in `cause`.
  return error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
}
