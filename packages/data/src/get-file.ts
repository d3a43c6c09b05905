import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { DatasetError } from './dataset-error.js';
import { datasetsDir } from './datasets-dir.js';
import { describeHolder, withFileLock } from './file-lock.js';

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
  /** A download that receives nothing for this long is abandoned (a DatasetError); default 120,000 ms. */
  timeoutMs?: number;
  /** Receives the line saying that another process is fetching the same file and this one waits; default stderr, `false` silences it. */
  log?: ((line: string) => void) | false;
}

/**
 * Returns the path of `fileName` in the cache, downloading it from `origin`
 * first if it is absent (or its sha256 / md5 does not match).
 *
 * - A download goes to a hidden temp file in the same folder
 *   (`.<fileName>.<pid>.<random>.download`), is flushed to disk and checked
 *   against the expected hashes (and the announced Content-Length), and only
 *   then renamed to its final name. A mismatch deletes the temp file and says
 *   so. A download cut short (the server closes the connection mid-body, the
 *   connection stalls for `timeoutMs`, the process dies) never leaves a file
 *   under the final name; temp files of dead runs are deleted by the next run.
 * - Processes fetching the same file at once take turns through the lock
 *   file `.<fileName>.lock` (see file-lock.ts): the first downloads, the
 *   others wait and then use its verified file. A lock left by a process that
 *   died is taken over at once.
 */
export async function getFile(fileName: string, options: GetFileOptions): Promise<string> {
  if (basename(fileName) !== fileName || fileName === '' || fileName === '.' || fileName === '..') {
    throw new TypeError(`getFile: fileName must be a bare file name, got ${JSON.stringify(fileName)}`);
  }
  const dir = join(options.cacheDir ?? datasetsDir(), options.cacheSubdir ?? '');
  const path = join(dir, fileName);
  const expected: Hashes = { sha256: options.sha256?.toLowerCase(), md5: options.md5?.toLowerCase() };

  if (await isUsable(path, expected)) return path;

  await mkdir(dir, { recursive: true });
  const log = options.log === false ? () => {} : (options.log ?? ((line: string) => void process.stderr.write(`${line}\n`)));
  const onWait = (holder: Parameters<typeof describeHolder>[0]) =>
    log(`${path}: ${describeHolder(holder)} is fetching this file; waiting for it to finish`);
  return withFileLock(
    join(dir, `.${fileName}.lock`),
    async () => {
      // Whoever held the lock before us may have fetched it meanwhile.
      if (await isUsable(path, expected)) return path;
      // Holding the lock, no other download of this file is under way: any temp file of it is a dead run's.
      await removeTempFiles(dir, fileName);
      // Hidden and unique, so loaders never pick it up.
      const temp = join(dir, `.${fileName}.${process.pid}.${randomBytes(4).toString('hex')}.download`);
      try {
        const wrong = mismatch(expected, await download(options.origin, temp, path, options.timeoutMs ?? 120_000));
        if (wrong !== undefined) {
          throw new DatasetError(
            path,
            `${wrong.algorithm} mismatch for the download from ${options.origin}: expected ${wrong.expected}, got ${wrong.actual}; the download was discarded`,
            `Re-run to download it again; if it keeps failing the mirror serves a different file, so fetch it by hand, check its ${wrong.algorithm} and put it at this path.`,
          );
        }
        await moveIntoPlace(temp, path);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      return path;
    },
    { onWait },
  );
}

/** A cached copy is used when it is a file and matches the expected hashes (a copy with the wrong hash is fetched again, as Keras does). */
async function isUsable(path: string, expected: Hashes): Promise<boolean> {
  return (await isFile(path)) && mismatch(expected, await hashesOfFile(path, expected)) === undefined;
}

/** Deletes `.<fileName>.*.download` temp files left in `dir` by runs that died. */
async function removeTempFiles(dir: string, fileName: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(`.${fileName}.`) && name.endsWith('.download')) await rm(join(dir, name), { force: true });
  }
}

/** Renames the verified temp file to `path`, replacing a stale or damaged copy there (never a folder). */
async function moveIntoPlace(temp: string, path: string): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing !== undefined && !existing.isFile()) {
    throw new DatasetError(path, 'is in the way of the verified download: it is not a file', 'Move it away and re-run.');
  }
  try {
    await rename(temp, path);
  } catch (cause) {
    throw new DatasetError(
      path,
      `could not move the verified download into place: ${describe(cause)}`,
      "Check the folder's permissions and free space, and re-run.",
      { cause },
    );
  }
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

/**
 * Streams `origin` into `temp` (flushed to disk) and returns the sha256 and md5 of what was written. A body
 * shorter or longer than its Content-Length, a connection closed mid-body, or `timeoutMs` without data is an error.
 */
async function download(origin: string, temp: string, path: string, timeoutMs: number): Promise<Hashes> {
  const fix = `Check the network connection and re-run, or download ${origin} by hand and put it at this path.`;
  // A stall is detected by a timer re-armed on every chunk; when it fires it fails whatever is being awaited.
  const stall = new Error(`no data for ${timeoutMs / 1000} s`);
  let stalled = false;
  let onStall = () => {};
  let timer: NodeJS.Timeout | undefined;
  const armTimer = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      stalled = true;
      onStall();
    }, timeoutMs);
  };
  armTimer();
  try {
    let response: Response;
    try {
      response = await Promise.race([fetch(origin), new Promise<never>((_, reject) => (onStall = () => reject(stall)))]);
    } catch (cause) {
      throw new DatasetError(path, `could not download ${origin}: ${describe(cause)}`, fix, { cause });
    }
    if (!response.ok || response.body === null) {
      await response.body?.cancel().catch(() => {});
      throw new DatasetError(path, `could not download ${origin}: HTTP ${response.status} ${response.statusText}`, fix);
    }
    const announced = contentLength(response);
    const sha256 = createHash('sha256');
    const md5 = createHash('md5');
    let received = 0;
    const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    onStall = () => body.destroy(stall);
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        armTimer();
        received += chunk.length;
        sha256.update(chunk);
        md5.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(body, hashing, createWriteStream(temp, { flags: 'wx' }));
    } catch (cause) {
      const reason = describe(stalled ? stall : cause);
      throw new DatasetError(
        path,
        `download from ${origin} failed after ${received} bytes${announced === undefined ? '' : ` of ${announced}`}: ${reason}`,
        fix,
        { cause },
      );
    }
    // On disk before it is renamed into place, so not even a power cut leaves a half-written file under the final name.
    const file = await open(temp, 'r+');
    try {
      await file.sync();
    } finally {
      await file.close();
    }
    if (announced !== undefined && received !== announced) {
      throw new DatasetError(
        path,
        `download from ${origin} was cut short: received ${received} of ${announced} bytes; the download was discarded`,
        fix,
      );
    }
    return { sha256: sha256.digest('hex'), md5: md5.digest('hex') };
  } finally {
    clearTimeout(timer);
  }
}

/** The body's length announced by the server, when it announced one (not for compressed transfers, which fetch decodes). */
function contentLength(response: Response): number | undefined {
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding !== 'identity') return undefined;
  const value = response.headers.get('content-length');
  return value !== null && /^\d+$/.test(value) ? Number(value) : undefined;
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
