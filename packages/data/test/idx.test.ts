import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readIdx } from '../src/idx.js';
import { encodeIdx, images, labels, tempDir, writeIdx } from './idx-fixtures.js';
import { datasetError } from './dataset-test-setup.js';

let dir: string;
beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readIdx', () => {
  it('reads a raw image file', async () => {
    const path = join(dir, 'images');
    await writeIdx(path, [4, 28, 28], images(4, 7));
    const x = await readIdx(path, 3);
    expect(x.shape).toEqual([4, 28, 28]);
    expect(x.data).toBeInstanceOf(Uint8Array);
    expect(x.data).toEqual(images(4, 7));
  });

  it('reads a gzip-compressed label file, detected by magic bytes not by name', async () => {
    const path = join(dir, 'labels-without-gz-suffix');
    await writeIdx(path, [12], labels(12), true);
    const y = await readIdx(path, 1);
    expect(y.shape).toEqual([12]);
    expect(Array.from(y.data)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
  });

  it('returns a Uint8Array that owns exactly its elements', async () => {
    const path = join(dir, 'labels');
    await writeIdx(path, [3], labels(3));
    const y = await readIdx(path);
    expect(y.data.constructor).toBe(Uint8Array);
    expect(y.data.byteOffset).toBe(0);
    expect(y.data.buffer.byteLength).toBe(3);
  });

  it('rejects a wrong magic number, naming the file and both magics', async () => {
    const path = join(dir, 'train-labels-idx1-ubyte');
    await writeIdx(path, [5], labels(5)); // a valid label file, read as images
    const error = await datasetError(readIdx(path, 3));
    expect(error.file).toBe(path);
    expect(error.message).toContain(path);
    expect(error.message).toContain('0x00000801');
    expect(error.message).toContain('0x00000803');
  });

  it('rejects a file whose type byte is not unsigned bytes', async () => {
    const path = join(dir, 'floats');
    const bytes = encodeIdx([1], new Uint8Array(1));
    bytes[2] = 0x0d; // float
    await writeFile(path, bytes);
    const error = await datasetError(readIdx(path));
    expect(error.message).toContain('0x00000d01');
  });

  it('rejects a truncated file with expected and actual sizes', async () => {
    const path = join(dir, 'train-images-idx3-ubyte');
    const full = encodeIdx([2, 28, 28], images(2));
    await writeFile(path, full.subarray(0, full.length - 100));
    const error = await datasetError(readIdx(path, 3));
    expect(error.message).toContain(path);
    expect(error.message).toMatch(/truncated/);
    expect(error.message).toContain(String(16 + 2 * 784));
    expect(error.message).toContain(String(16 + 2 * 784 - 100));
  });

  it('rejects a truncated gzip file', async () => {
    const path = join(dir, 'train-images-idx3-ubyte.gz');
    const gz = gzipSync(encodeIdx([2, 28, 28], images(2)));
    await writeFile(path, gz.subarray(0, gz.length - 10));
    const error = await datasetError(readIdx(path, 3));
    expect(error.message).toContain(path);
  });

  it('rejects a file with a truncated header', async () => {
    const path = join(dir, 'short-header');
    await writeFile(path, encodeIdx([2, 28, 28], new Uint8Array()).subarray(0, 10));
    const error = await datasetError(readIdx(path, 3));
    expect(error.message).toMatch(/truncated IDX header/);
  });

  it('rejects an oversized file', async () => {
    const path = join(dir, 'labels');
    await writeFile(path, Buffer.concat([encodeIdx([3], labels(3)), Buffer.from([1, 2])]));
    const error = await datasetError(readIdx(path, 1));
    expect(error.message).toMatch(/oversized.*expected 11 bytes.*found 13/);
  });

  it('rejects a missing file as a DatasetError', async () => {
    const path = join(dir, 'nope');
    const error = await datasetError(readIdx(path));
    expect(error.message).toContain(path);
  });
});
