/**
 * Weight quantization as TensorFlow.js's converter does it (tensorflowjs/quantization.py and write_weights.py), so that
 * plain `tf.loadLayersModel` dequantizes the weights on load (tfjs-core's `io.decodeWeights`):
 *
 * - `float16`: each float32 value rounded to the nearest half-precision value (ties to even, as numpy's astype);
 *   manifest entry `quantization: { dtype: 'float16' }`;
 * - `uint8`: affine, per weight tensor: `value ≈ q · scale + min`, q in 0…255, with the range [min, max] of the tensor
 *   nudged so that 0 is exactly representable when the range covers it (zero padding, ReLU zeros and untrained zero
 *   biases stay exactly 0), as TF Lite's NudgeQuantizationRange; a constant tensor is all q = 0 with scale 1 and min
 *   its value. Manifest entry `quantization: { dtype: 'uint8', min, scale, original_dtype: 'float32' }`.
 *
 * Only float32 weights are quantized (int32 and bool weights are written as they are), as the converter does.
 */
import { setFloat16 } from '@petamoriken/float16';
import { OptionError } from '../errors/index.js';

export type WeightQuantization = 'float16' | 'uint8';
export const WEIGHT_QUANTIZATIONS: readonly WeightQuantization[] = ['float16', 'uint8'];

/** A weights-manifest entry's `quantization`, as the converter writes it. */
export type QuantizationEntry =
  | { dtype: 'float16'; original_dtype: 'float32' }
  | { dtype: 'uint8'; min: number; scale: number; original_dtype: 'float32' };

export interface QuantizedWeight {
  /** The stored bytes: 2 per value (float16) or 1 (uint8), little-endian. */
  bytes: Uint8Array;
  quantization: QuantizationEntry;
}

/** Throws an OptionError naming the valid choices unless `value` is a quantization dl writes. */
export function checkQuantization(value: unknown, option = 'quantize'): asserts value is WeightQuantization {
  if (!WEIGHT_QUANTIZATIONS.includes(value as WeightQuantization)) {
    throw new OptionError(`${option} must be one of ${WEIGHT_QUANTIZATIONS.join(', ')}, got ${JSON.stringify(value)}`);
  }
}

/** `values` (a float32 weight) quantized to `dtype`. */
export function quantizeWeight(values: Float32Array, dtype: WeightQuantization): QuantizedWeight {
  checkQuantization(dtype);
  return dtype === 'float16' ? toFloat16(values) : toUint8(values);
}

function toFloat16(values: Float32Array): QuantizedWeight {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) setFloat16(view, 2 * i, values[i]!, true);
  return { bytes, quantization: { dtype: 'float16', original_dtype: 'float32' } };
}

const UINT8_MAX = 255;

function toUint8(values: Float32Array): QuantizedWeight {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v))
      throw new OptionError('a weight holds NaN or infinity: it cannot be quantized to uint8 (the training diverged)');
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (values.length === 0)
    return { bytes: new Uint8Array(0), quantization: { dtype: 'uint8', min: 0, scale: 1, original_dtype: 'float32' } };
  const bytes = new Uint8Array(values.length);
  if (lo === hi) return { bytes, quantization: { dtype: 'uint8', min: lo, scale: 1, original_dtype: 'float32' } };
  const scale = (hi - lo) / UINT8_MAX;
  let min = lo;
  let max = hi;
  if (lo <= 0 && 0 <= hi) {
    const zeroPoint = roundHalfToEven(-lo / scale);
    min = -zeroPoint * scale;
    max = UINT8_MAX * scale + min;
  }
  for (let i = 0; i < values.length; i++) {
    const clipped = Math.min(max, Math.max(min, values[i]!));
    bytes[i] = roundHalfToEven((clipped - min) / scale);
  }
  return { bytes, quantization: { dtype: 'uint8', min, scale, original_dtype: 'float32' } };
}

/** numpy's round: halves go to the even neighbour. */
function roundHalfToEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
