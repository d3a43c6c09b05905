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
  /** Cache root; defaults to `datasetsDir()`. */
  cacheDir?: string;
  /** Folder under `cacheDir` for this dataset, e.g. `'mnist'`. */
  cacheSubdir?: string;
}

/**
 * Returns the path of `fileName` in the cache, downloading it from `origin`
 * first if it is absent (or its sha256 does not match).
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
  const expected = options.sha256?.toLowerCase();

  if (await isFile(path)) {
    // A cached copy with the wrong hash is stale or damaged: fetch it again, as Keras does.
    if (expected === undefined || (await sha256OfFile(path)) === expected) return path;
  }

  await mkdir(dir, { recursive: true });
  // Hidden and unique, so concurrent runs don't collide and loaders never pick it up.
  const temp = join(dir, `.${fileName}.${process.pid}.${randomBytes(4).toString('hex')}.download`);
  try {
    const actual = await download(options.origin, temp, path);
    if (expected !== undefined && actual !== expected) {
      throw new DatasetError(
        path,
        `sha256 mismatch for the download from ${options.origin}: expected ${expected}, got ${actual}; the download was discarded`,
        'Re-run to download it again; if it keeps failing the mirror serves a different file, so fetch it by hand, check its sha256 and put it at this path.',
      );
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  return path;
}

/** Streams `origin` into `temp` and returns the sha256 of what was written. */
async function download(origin: string, temp: string, path: string): Promise<string> {
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
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
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
  return hash.digest('hex');
}

/** The sha256 (hex) of a file, streamed so large files are not held in memory. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
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
