/**
 * Reading numpy's `.npz` / `.npy` files, as far as dataset loaders need it.
 *
 * - The `.npz` container is a ZIP archive of `.npy` members, stored or
 *   deflated; it is unpacked with `fflate` (a small, widely used, dependency-free
 *   (de)compression library).
 * - A `.npy` member is a short header (format spec:
 *   https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html)
 *   followed by the raw elements. Numeric members are decoded here; the npm
 *   `.npy` readers (e.g. npyjs) handle neither `.npz` nor object arrays and
 *   do not check the data length against the shape, so this ~150-line reader
 *   does the job itself.
 * - An object array (`descr '|O'`, e.g. the ragged word-index lists in
 *   Keras's `imdb.npz`) is stored as a Python pickle of the whole ndarray.
 *   It is parsed with `pickleparser` (a pure-JS parser of every opcode of
 *   pickle protocols 0–5), so files written by Python 2 (protocol 2, `GLOBAL`,
 *   `BINSTRING`) and by current numpy (protocol 4, `STACK_GLOBAL`, `FRAME`)
 *   are read alike. Only the few Python names an object ndarray pickle
 *   refers to are accepted; any other name is rejected. Nothing is ever
 *   executed: the names resolve to plain data holders defined below.
 */
import { readFile } from 'node:fs/promises';
import { unzipSync } from 'fflate';
import pickleparser from 'pickleparser';
import { DatasetError, REPLACE_FILE_FIX } from './dataset-error.js';

/** A decoded numeric `.npy` array: its elements as JS numbers, in C order. */
export interface NpyNumeric {
  kind: 'numeric';
  /** numpy's dtype string, e.g. `'<i8'`, `'|u1'`. */
  descr: string;
  shape: number[];
  data: Float64Array;
}

/** A decoded object (`'|O'`) `.npy` array: its elements as unpickled JS values (lists become arrays). */
export interface NpyObjects {
  kind: 'object';
  descr: '|O';
  shape: number[];
  data: unknown[];
}

export type NpyArray = NpyNumeric | NpyObjects;

/**
 * Reads every member of an `.npz` file: keys are the member names without
 * `.npy` (as `np.load(path)` shows them), values the raw `.npy` bytes.
 *
 * @throws {DatasetError} when the file cannot be read or is not a ZIP archive.
 */
export async function readNpzMembers(path: string): Promise<Map<string, Uint8Array>> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new DatasetError(path, `cannot read file: ${(cause as Error).message}`, 'Check that it exists and is readable.', { cause });
  }
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (cause) {
    throw new DatasetError(path, `not a valid .npz (ZIP) archive: ${(cause as Error).message}`, REPLACE_FILE_FIX, { cause });
  }
  const members = new Map<string, Uint8Array>();
  for (const [name, data] of Object.entries(files)) members.set(name.replace(/\.npy$/, ''), data);
  return members;
}

/**
 * Decodes one `.npy` file's bytes.
 *
 * Integer, unsigned, boolean and float dtypes of either byte order become a
 * `Float64Array` (64-bit integers must be within ±2^53); object arrays are
 * unpickled (see the module comment). The header is validated and the data
 * length must match the shape exactly.
 *
 * @param file  file named in errors, e.g. `".../imdb.npz: x_train.npy"`'s archive path
 * @param label what to call the member in errors, e.g. `'member x_train.npy'`
 * @throws {DatasetError} on any malformed or unsupported content.
 */
export function parseNpy(bytes: Uint8Array, file: string, label = 'the .npy data'): NpyArray {
  const fail = (problem: string, cause?: unknown): never => {
    throw new DatasetError(file, `${label}: ${problem}`, REPLACE_FILE_FIX, cause === undefined ? undefined : { cause });
  };
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((byte, i) => bytes[i] !== byte)) fail('not a .npy array (bad magic bytes)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) fail(`unsupported .npy format version ${major}.${bytes[7]}`);
  const headerStart = major === 1 ? 10 : 12;
  if (bytes.length < headerStart) fail('truncated .npy header');
  const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = headerStart + headerLength;
  if (bytes.length < dataStart) fail(`truncated .npy header: needs ${dataStart} bytes, found ${bytes.length}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    fail(`malformed .npy header ${JSON.stringify(header.trim())}`);
  const shape = shapeText!
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((n) => !Number.isSafeInteger(n) || n < 0)) fail(`bad shape (${shapeText}) in .npy header`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (fortran === 'True' && shape.filter((n) => n > 1).length > 1) fail('Fortran-order arrays are not supported');
  const body = bytes.subarray(dataStart);

  if (descr === '|O') {
    const data = unpickleObjectArray(body, fail);
    if (data.length !== count)
      fail(`object array holds ${data.length} elements, but its header's shape (${shape.join(', ')}) says ${count}`);
    return { kind: 'object', descr, shape, data };
  }

  const type = /^([<>|=])([iufb])(\d+)$/.exec(descr!);
  const size = Number(type?.[3]);
  const decoder = type ? elementReader(type[2]!, size) : undefined;
  if (!type || !decoder) return fail(`unsupported dtype '${descr}' (expected integers, booleans, floats or objects)`);
  if (body.length !== count * size) {
    fail(
      `${body.length < count * size ? 'truncated' : 'oversized'} data: shape (${shape.join(', ')}) of '${descr}' needs ${count * size} bytes, found ${body.length}`,
    );
  }
  const littleEndian = type[1] !== '>';
  const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = decoder(bodyView, i * size, littleEndian);
  if (data.some((x) => Number.isNaN(x) && type[2] !== 'f')) fail('64-bit integer outside ±2^53');
  return { kind: 'numeric', descr: descr!, shape, data };
}

type ElementReader = (view: DataView, offset: number, littleEndian: boolean) => number;

function elementReader(kind: string, size: number): ElementReader | undefined {
  const safe = (n: bigint): number => (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER) ? NaN : Number(n));
  const readers: Record<string, ElementReader> = {
    i1: (v, o) => v.getInt8(o),
    i2: (v, o, le) => v.getInt16(o, le),
    i4: (v, o, le) => v.getInt32(o, le),
    i8: (v, o, le) => safe(v.getBigInt64(o, le)),
    u1: (v, o) => v.getUint8(o),
    u2: (v, o, le) => v.getUint16(o, le),
    u4: (v, o, le) => v.getUint32(o, le),
    u8: (v, o, le) => safe(v.getBigUint64(o, le)),
    b1: (v, o) => (v.getUint8(o) === 0 ? 0 : 1),
    f4: (v, o, le) => v.getFloat32(o, le),
    f8: (v, o, le) => v.getFloat64(o, le),
  };
  return readers[`${kind}${size}`];
}

/** What the pickle's `numpy...._reconstruct(ndarray, (0,), b'b')` call returns; `BUILD` then sets its state. */
class PickledNdarray {
  state: unknown;
  __setstate__(state: unknown): void {
    this.state = state;
  }
}

/** What the pickle's `numpy.dtype('O8', False, True)` call returns. */
class PickledDtype {
  readonly name: unknown;
  state: unknown;
  constructor(name: unknown) {
    this.name = name;
  }
  __setstate__(state: unknown): void {
    this.state = state;
  }
}

/**
 * The Python names an object-ndarray pickle refers to. `numpy.core` is
 * numpy 1.x's module name, `numpy._core` numpy 2.x's; `_codecs.encode` is how
 * Python 3 spells a `bytes` literal in protocol 2.
 */
const PICKLE_NAMES: Record<string, (...args: unknown[]) => unknown> = {
  'numpy.core.multiarray._reconstruct': () => new PickledNdarray(),
  'numpy._core.multiarray._reconstruct': () => new PickledNdarray(),
  'numpy.ndarray': () => 'ndarray',
  'numpy.dtype': (name) => new PickledDtype(name),
  '_codecs.encode': (text) => text,
};

function unpickleObjectArray(body: Uint8Array, fail: (problem: string, cause?: unknown) => never): unknown[] {
  const parser = new pickleparser.Parser({
    nameResolver: {
      resolve(module: string, name: string) {
        const make = PICKLE_NAMES[`${module}.${name}`];
        if (make === undefined) throw new UnexpectedPickleName(`${module}.${name}`);
        // A plain `function` so the parser may both call it (REDUCE) and `new` it (NEWOBJ).
        return (...args: unknown[]) => make(...args);
      },
    },
  });
  let result: unknown;
  try {
    result = parser.parse(body);
  } catch (cause) {
    if (cause instanceof UnexpectedPickleName) {
      fail(`the pickled object array refers to the Python name ${cause.message}, which a numpy object array never does`);
    }
    fail(`corrupt pickled object array: ${(cause as Error).message}`, cause);
  }
  // ndarray.__reduce__ state: (version, shape, dtype, is_fortran, items); items is a list for object arrays.
  const state = result instanceof PickledNdarray ? result.state : undefined;
  const items = Array.isArray(state) ? state[4] : undefined;
  const dtype = Array.isArray(state) ? state[2] : undefined;
  if (!(dtype instanceof PickledDtype) || dtype.name !== 'O8' || !Array.isArray(items)) {
    fail('the pickle does not hold a numpy object array');
  }
  return items as unknown[];
}

class UnexpectedPickleName extends Error {}
