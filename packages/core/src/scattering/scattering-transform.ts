/**
 * The 2-D scattering transform of order 2 (Bruna & Mallat 2013) as kymatio's Scattering2D computes it: the image is
 * reflect-padded (scatteringPadding), taken to the Fourier domain once, and every path x → |x ⋆ ψ_{j1,θ1}| →
 * ||x ⋆ ψ_{j1,θ1}| ⋆ ψ_{j2,θ2}| (j2 > j1) is filtered there, subsampled to its scale by folding the spectrum
 * (the mean of the 2^k × 2^k aliased copies) and averaged by φ down to a 2^J-subsampled grid, whose one-pixel border
 * (padding) is dropped. Channels out: 1 + J·L + L²·J(J−1)/2 per input channel (81 for J = 2, L = 8), in kymatio's
 * order: S0, then for each first-order path its S1 followed by its second-order children.
 *
 * FFTs rather than fixed-kernel convolutions, by measurement (scattering-2d-layer.ts gives the figures): the large
 * low-pass φ and the second-order wavelets are whole-grid products in the Fourier domain, and the subsampled stages
 * run on 18 × 18 and 9 × 9 grids.
 *
 * Complex values are carried as pairs of real tensors, and made complex only around tfjs's FFTs (which act on the
 * innermost axis; a 2-D FFT is one along each axis).
 */
import type { Tensor } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import { nativeBackend, runNativeOp } from '../native/native-ops.js';
import { filterBank, periodize, scatteringPadding, type Grid } from './scattering-filters.js';

interface Complex {
  re: Tensor;
  im: Tensor;
}

/** The filters as tensors, per resolution: ψ_j for the resolutions it is applied at, φ at each of 0…J−1. */
export interface ScatteringFilters {
  J: number;
  L: number;
  padding: { top: number; bottom: number; left: number; right: number };
  /** psi[j][res]: [L, H/2^res, W/2^res], the L orientations of scale j at resolution res. */
  psi: Tensor[][];
  /** phi[res]: [H/2^res, W/2^res]. */
  phi: Tensor[];
}

/** The number of output channels per input channel. */
export function scatteringChannels(J: number, L: number): number {
  return 1 + J * L + (L * L * J * (J - 1)) / 2;
}

/** The output's spatial size for an input of `size` pixels along an axis. */
export function scatteringSize(size: number, J: number): number {
  return scatteringPadding(size, J)[2] / 2 ** J - 2;
}

const tensorOf = (g: Grid) => tf.tensor2d(Float32Array.from(g.data), [g.height, g.width]);

/** The filter bank of an input of height × width, as kept tensors (dispose with disposeFilters). */
export function scatteringFilters(height: number, width: number, J: number, L: number): ScatteringFilters {
  const [top, bottom, paddedH] = scatteringPadding(height, J);
  const [left, right, paddedW] = scatteringPadding(width, J);
  const bank = filterBank(paddedH, paddedW, J, L);
  return tf.tidy(() => {
    const psi: Tensor[][] = [];
    for (let j = 0; j < J; j++) {
      const ofScale = bank.psi.filter((p) => p.j === j);
      psi.push(Array.from({ length: j + 1 }, (_, res) => tf.keep(tf.stack(ofScale.map((p) => tensorOf(periodize(p.fourier, res)))))));
    }
    const phi = Array.from({ length: J }, (_, res) => tf.keep(tensorOf(periodize(bank.phi, res))));
    return { J, L, padding: { top, bottom, left, right }, psi, phi };
  });
}

export function disposeFilters(filters: ScatteringFilters): void {
  tf.dispose([...filters.psi.flat(), ...filters.phi]);
}

/**
 * 2-D FFT (or its inverse, divided by H·W) over the two innermost axes: TensorFlow's FFT2D on the native backend, else
 * tfjs's 1-D FFT along each axis (with transposes).
 */
function fft2(z: Complex, inverse = false): Complex {
  const backend = nativeBackend();
  if (backend !== null) {
    const attrs = [{ name: 'Tcomplex', type: backend.binding.TF_ATTR_TYPE, value: backend.getDTypeInteger('complex64') }];
    const [f] = runNativeOp(backend, inverse ? 'IFFT2D' : 'FFT2D', attrs, [tf.complex(z.re, z.im)]);
    return { re: tf.real(f!), im: tf.imag(f!) };
  }
  const along = (re: Tensor, im: Tensor) => {
    const c = tf.complex(re, im);
    const f = inverse ? tf.spectral.ifft(c) : tf.spectral.fft(c);
    return { re: tf.real(f), im: tf.imag(f) };
  };
  const rank = z.re.rank;
  const swap = [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];
  const rows = along(z.re, z.im);
  const cols = along(tf.transpose(rows.re, swap), tf.transpose(rows.im, swap));
  return { re: tf.transpose(cols.re, swap), im: tf.transpose(cols.im, swap) };
}

/** The spectrum of a signal subsampled by k in space: the mean of its k × k aliased copies (kymatio's subsample_fourier). */
function fold(z: Complex, k: number): Complex {
  if (k === 1) return z;
  const one = (t: Tensor) => {
    const shape = t.shape;
    const [h, w] = shape.slice(-2) as [number, number];
    const lead = shape.slice(0, -2);
    return tf.mean(tf.reshape(t, [...lead, k, h / k, k, w / k]), [lead.length, lead.length + 2]);
  };
  return { re: one(z.re), im: one(z.im) };
}

const times = (z: Complex, filter: Tensor): Complex => ({ re: tf.mul(z.re, filter), im: tf.mul(z.im, filter) });
const modulus = (z: Complex): Tensor => tf.sqrt(tf.add(tf.square(z.re), tf.square(z.im)));

/**
 * The transform of `x` [B, H, W, C] (channels last) → [B, H', W', C·K] with K = scatteringChannels(J, L), channel
 * c·K + k holding coefficient k of input channel c.
 */
export function scattering2d(x: Tensor, f: ScatteringFilters): Tensor {
  return tf.tidy(() => {
    const [b, , , c] = x.shape as [number, number, number, number];
    const { J, padding } = f;
    // [B·C, Hp, Wp]: each channel an image.
    const images = tf.reshape(tf.transpose(x, [0, 3, 1, 2]), [b * c, x.shape[1]!, x.shape[2]!]);
    const padded = tf.mirrorPad(
      images,
      [
        [0, 0],
        [padding.top, padding.bottom],
        [padding.left, padding.right],
      ],
      'reflect',
    );
    const zeros = (t: Tensor) => tf.zerosLike(t);
    // [N, 1, Hp, Wp] spectrum of the padded images.
    const x0 = tf.expandDims(padded, 1);
    const spectrum = fft2({ re: x0, im: zeros(x0) });
    // φ at resolution res, then subsampled to 2^J: the real part of the inverse FFT.
    const lowPass = (u: Complex, res: number): Tensor => fft2(fold(times(u, f.phi[res]!), 2 ** (J - res)), true).re;
    const outputs: Tensor[] = [lowPass(spectrum, 0)]; // [N, 1, h, w]
    for (let j1 = 0; j1 < J; j1++) {
      // U1: [N, L, H/2^j1, W/2^j1] (real), and its spectrum.
      const u1 = modulus(fft2(fold(times(spectrum, f.psi[j1]![0]!), 2 ** j1), true));
      const u1Spectrum = fft2({ re: u1, im: zeros(u1) });
      const perPath: Tensor[] = [tf.expandDims(lowPass(u1Spectrum, j1), 2)]; // [N, L, 1, h, w]
      for (let j2 = j1 + 1; j2 < J; j2++) {
        // [N, L, 1, …] × [L, …] → [N, L (θ1), L (θ2), …]
        const expanded = { re: tf.expandDims(u1Spectrum.re, 2), im: tf.expandDims(u1Spectrum.im, 2) };
        const u2 = modulus(fft2(fold(times(expanded, f.psi[j2]![j1]!), 2 ** (j2 - j1)), true));
        perPath.push(lowPass(fft2({ re: u2, im: zeros(u2) }), j2));
      }
      const joined = tf.concat(perPath, 2); // [N, L, 1 + L·(J−1−j1), h, w]
      const [n, l, k, h, w] = joined.shape as number[];
      outputs.push(tf.reshape(joined, [n!, l! * k!, h!, w!]));
    }
    const all = tf.concat(outputs, 1); // [N, K, h, w]
    const [, k, h, w] = all.shape as number[];
    const cropped = tf.slice(all, [0, 0, 1, 1], [-1, -1, h! - 2, w! - 2]);
    return tf.transpose(tf.reshape(cropped, [b, c * k!, h! - 2, w! - 2]), [0, 2, 3, 1]);
  });
}
