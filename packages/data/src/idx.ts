import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { DatasetError, REPLACE_FILE_FIX } from './dataset-error.js';
import type { NDArray } from './ndarray.js';

const gunzipAsync = promisify(gunzip);

/** IDX data-type byte for unsigned bytes, the only type MNIST uses. */
const UNSIGNED_BYTE = 0x08;

/**
 * Reads an IDX file (the format of the MNIST files: http://yann.lecun.com/exdb/mnist/),
 * raw or gzip-compressed, into an NDArray of unsigned bytes.
 *
 * The header is trusted only after checking it: the magic number must be
 * `0x000008nn` (unsigned bytes, `nn` dimensions, equal to `ndim` when given)
 * and the data must be exactly as long as the dimensions say, so a truncated
 * or padded file fails here instead of yielding garbage samples.
 *
 * @param path file to read; gzip is detected from its magic bytes, not its name
 * @param ndim expected number of dimensions, e.g. 3 for images, 1 for labels
 */
export async function readIdx(path: string, ndim?: number): Promise<NDArray<Uint8Array>> {
  const bytes = await readMaybeGzipped(path);
  const fail = (problem: string): never => {
    throw new DatasetError(path, problem, REPLACE_FILE_FIX);
  };

  if (bytes.length < 4) fail(`not an IDX file: only ${bytes.length} bytes, too short for a magic number`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0); // IDX is big-endian; DataView's default
  const dims = magic & 0xff;
  const expectedMagic = ndim === undefined ? undefined : (UNSIGNED_BYTE << 8) | ndim;
  if (magic >>> 16 !== 0 || ((magic >>> 8) & 0xff) !== UNSIGNED_BYTE || (expectedMagic !== undefined && magic !== expectedMagic)) {
    const wanted = expectedMagic === undefined ? '0x000008nn' : hex32(expectedMagic);
    fail(`bad IDX magic number ${hex32(magic)}, expected ${wanted} (unsigned bytes${ndim === undefined ? '' : `, ${ndim} dimensions`})`);
  }

  const headerBytes = 4 + 4 * dims;
  if (bytes.length < headerBytes) {
    fail(`truncated IDX header: expected ${headerBytes} bytes for ${dims} dimensions, found ${bytes.length}`);
  }
  const shape: number[] = [];
  for (let i = 0; i < dims; i++) shape.push(view.getUint32(4 + 4 * i));

  const expectedBytes = headerBytes + shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== expectedBytes) {
    const what = bytes.length < expectedBytes ? 'truncated' : 'oversized';
    fail(`${what} IDX file: expected ${expectedBytes} bytes (${headerBytes}-byte header + ${shape.join('×')} data), found ${bytes.length}`);
  }

  // Copy so the result owns exactly its elements (not a view into a larger or pooled Buffer).
  return { data: new Uint8Array(bytes.subarray(headerBytes)), shape };
}

async function readMaybeGzipped(path: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new DatasetError(path, `cannot read file: ${(cause as Error).message}`, 'Check that it exists and is readable.', { cause });
  }
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    return await gunzipAsync(bytes);
  } catch (cause) {
    throw new DatasetError(path, `corrupt gzip data: ${(cause as Error).message}`, REPLACE_FILE_FIX, { cause });
  }
}

function hex32(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}
