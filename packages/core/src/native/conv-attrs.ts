/** The attributes of TensorFlow's 2-D convolution ops (`Conv2D` and its two gradients), channels-last, no dilation. */
import { floatTypeAttr, type NativeBackend, type OpAttr } from './native-ops.js';

export interface ConvGeometry {
  strides: [number, number];
  padding: 'valid' | 'same';
}

/** The `data_format` attribute: NHWC. */
export function nhwcAttr(backend: NativeBackend): OpAttr {
  return { name: 'data_format', type: backend.binding.TF_ATTR_STRING, value: 'NHWC' };
}

/** A convolution op's attributes; with `paddings` (see `explicitPaddings`), its padding as EXPLICIT numbers. */
export function convAttrs(backend: NativeBackend, geometry: ConvGeometry, paddings?: number[]): OpAttr[] {
  const b = backend.binding;
  const padding: OpAttr[] = paddings
    ? [
        { name: 'padding', type: b.TF_ATTR_STRING, value: 'EXPLICIT' },
        { name: 'explicit_paddings', type: b.TF_ATTR_INT, value: paddings },
      ]
    : [{ name: 'padding', type: b.TF_ATTR_STRING, value: geometry.padding.toUpperCase() }];
  return [
    floatTypeAttr(backend),
    { name: 'strides', type: b.TF_ATTR_INT, value: [1, geometry.strides[0], geometry.strides[1], 1] },
    ...padding,
    nhwcAttr(backend),
    { name: 'dilations', type: b.TF_ATTR_INT, value: [1, 1, 1, 1] },
  ];
}

/**
 * SAME or VALID as TensorFlow's `explicit_paddings` ([before, after] per NHWC dimension) for a convolution of an
 * `inputShape` input by a `filterShape` filter: SAME pads so that the output has ⌈size / stride⌉ positions, the odd
 * one after, as TensorFlow's own SAME does.
 */
export function explicitPaddings(inputShape: number[], filterShape: number[], geometry: ConvGeometry): number[] {
  const paddings = [0, 0];
  for (const axis of [0, 1]) {
    const size = inputShape[axis + 1]!;
    const stride = geometry.strides[axis]!;
    const total = geometry.padding === 'same' ? Math.max((Math.ceil(size / stride) - 1) * stride + filterShape[axis]! - size, 0) : 0;
    paddings.push(Math.floor(total / 2), total - Math.floor(total / 2));
  }
  return [...paddings, 0, 0];
}
