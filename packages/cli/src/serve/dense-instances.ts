import { RequestError } from './request-error.js';

export interface DenseInstanceSpec {
  /** The shape of one instance, without the batch dimension, e.g. [28, 28, 1]. */
  shape: readonly number[];
  /** The accepted range of values, when the model was trained on one (pixels in [0, 1]); else any finite number. */
  range?: readonly [number, number];
  /** How the expected instance reads in an error, e.g. "a 28×28 (or 28×28×1) array of pixel values in [0, 1]". */
  description: string;
}

/**
 * TF Serving's row format for a model with one numeric input: `instances` is a list of nested arrays, each of the
 * input's shape (a trailing dimension of 1 may be left out: a 28×28 image for a [28, 28, 1] input), → their values
 * in one Float32Array, instance after instance. Anything else is a RequestError (400) naming the first wrong
 * element by its path (`instances[3][27]`) and the expected shape, so a client can fix its request.
 */
export function parseDenseInstances(instances: readonly unknown[], spec: DenseInstanceSpec, key = 'instances'): Float32Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(instances.length * size);
  let offset = 0;
  const [lo, hi] = spec.range ?? [-Infinity, Infinity];
  // The path of the element being read (`instances[3][27]`), as indices, turned into text only for an error.
  const at: number[] = [];
  const wrong = (what: string): RequestError =>
    new RequestError(
      `${key}${at.map((i) => `[${i}]`).join('')} ${what}: each instance must be ${spec.description} (shape ${JSON.stringify(spec.shape)})`,
    );
  // Depth-first over the nested arrays, writing values in row-major order.
  const fill = (value: unknown, depth: number): void => {
    const last = depth === spec.shape.length || (depth === spec.shape.length - 1 && spec.shape[depth] === 1 && !Array.isArray(value));
    if (last) {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw wrong(`is ${describe(value)}, not a finite number`);
      if (value < lo || value > hi) throw wrong(`is ${value}, outside [${lo}, ${hi}]`);
      out[offset++] = value;
      return;
    }
    const length = spec.shape[depth]!;
    if (!Array.isArray(value)) throw wrong(`is ${describe(value)}, not an array of ${length}`);
    if (value.length !== length) throw wrong(`has ${value.length} elements, not ${length}`);
    at.push(0);
    for (let i = 0; i < length; i++) {
      at[depth + 1] = i;
      fill(value[i], depth + 1);
    }
    at.pop();
  };
  instances.forEach((instance, i) => {
    at.length = 0;
    at.push(i);
    fill(instance, 0);
  });
  return out;
}

/** A short description of a JSON value for error messages: its type, and a number's or short string's value. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return value.length <= 20 ? JSON.stringify(value) : 'a string';
  if (typeof value === 'object') return 'an object';
  return String(value);
}
