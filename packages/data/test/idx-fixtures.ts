// Writes small, synthetic IDX files so tests don't depend on the real 55 MB MNIST.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Encodes an unsigned-byte IDX file: magic 0x000008<ndim>, big-endian dims, then the data. */
export function encodeIdx(shape: number[], data: Uint8Array): Buffer {
  const header = Buffer.alloc(4 + 4 * shape.length);
  header.writeUInt32BE(0x0800 | shape.length, 0);
  shape.forEach((size, i) => header.writeUInt32BE(size, 4 + 4 * i));
  return Buffer.concat([header, data]);
}

export async function writeIdx(path: string, shape: number[], data: Uint8Array, gzip = false): Promise<void> {
  const bytes = encodeIdx(shape, data);
  await writeFile(path, gzip ? gzipSync(bytes) : bytes);
}

/** `count` 28×28 images: image i is filled with byte (i + seed) % 256, so tests can tell sources apart. */
export function images(count: number, seed = 0): Uint8Array {
  const data = new Uint8Array(count * 28 * 28);
  for (let i = 0; i < count; i++) data.fill((i + seed) % 256, i * 784, (i + 1) * 784);
  return data;
}

/** `count` labels cycling 0..9. */
export function labels(count: number): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => i % 10);
}

export interface MnistFixture {
  train?: number;
  test?: number;
  gzip?: boolean;
  /** Byte written into every training image, to identify which fixture was loaded. */
  seed?: number;
}

/** Writes the four MNIST files (with `train` / `test` samples) into `dir`, creating it. */
export async function writeMnist(dir: string, { train = 3, test = 2, gzip = false, seed = 0 }: MnistFixture = {}): Promise<void> {
  await mkdir(dir, { recursive: true });
  const ext = gzip ? '.gz' : '';
  await writeIdx(join(dir, `train-images-idx3-ubyte${ext}`), [train, 28, 28], images(train, seed), gzip);
  await writeIdx(join(dir, `train-labels-idx1-ubyte${ext}`), [train], labels(train), gzip);
  await writeIdx(join(dir, `t10k-images-idx3-ubyte${ext}`), [test, 28, 28], images(test, seed), gzip);
  await writeIdx(join(dir, `t10k-labels-idx1-ubyte${ext}`), [test], labels(test), gzip);
}

export function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'dl-data-test-'));
}
