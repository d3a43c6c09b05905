// The scattering transform: its filters (zero-mean wavelets at their centre frequencies, a unit-gain low-pass), the
// TensorFlow computation against a direct float64 one (circular convolutions in space with the same filters, spatial
// subsampling), translation equivariance at 2^J and stability to small shifts, the layer's save/load round trip, and
// DP-SGD training through it (its features precomputed once, with the same result as training on them directly).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layers, loadModel, sequential, setSeed, tf, type Model, type Tensor } from '../src/index.js';
import { filterBank, periodize, scatteringPadding, type Grid } from '../src/scattering/scattering-filters.js';
import { scattering2d, scatteringChannels, scatteringFilters, disposeFilters } from '../src/scattering/scattering-transform.js';
import { rng, tempDir } from './helpers.js';

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A smooth random "digit": a few Gaussian blobs inside the frame, zero near the border. */
function blobImage(size: number, seed: number, margin = 6, maxSigma = 2.5): Float64Array {
  const next = rng(seed);
  const img = new Float64Array(size * size);
  for (let b = 0; b < 4; b++) {
    const cx = margin + next() * (size - 2 * margin);
    const cy = margin + next() * (size - 2 * margin);
    const s = 1 + next() * (maxSigma - 1);
    for (let i = 0; i < size; i++)
      for (let k = 0; k < size; k++) {
        const v = Math.exp(-((i - cx) ** 2 + (k - cy) ** 2) / (2 * s * s));
        if (v > 1e-3) img[i * size + k]! += v;
      }
  }
  return img;
}

function transform(images: Float64Array[], size: number, J: number, L: number): { values: Float32Array; shape: number[] } {
  const filters = scatteringFilters(size, size, J, L);
  try {
    const x = tf.tensor4d(Float32Array.from(images.flatMap((im) => Array.from(im))), [images.length, size, size, 1]);
    const y = scattering2d(x, filters);
    const out = { values: y.dataSync() as Float32Array, shape: y.shape };
    tf.dispose([x, y]);
    return out;
  } finally {
    disposeFilters(filters);
  }
}

// ---- the direct reference: complex grids in float64, circular convolution in space ----
interface C {
  n: number;
  re: Float64Array;
  im: Float64Array;
}
/** The spatial filter of a real Fourier filter: its inverse DFT, by direct sums. */
function spatial(f: Grid): C {
  const n = f.height;
  const re = new Float64Array(n * n);
  const im = new Float64Array(n * n);
  for (let x = 0; x < n; x++)
    for (let y = 0; y < n; y++) {
      let sr = 0;
      let si = 0;
      for (let u = 0; u < n; u++)
        for (let v = 0; v < n; v++) {
          const a = (2 * Math.PI * (u * x + v * y)) / n;
          sr += f.data[u * n + v]! * Math.cos(a);
          si += f.data[u * n + v]! * Math.sin(a);
        }
      re[x * n + y] = sr / (n * n);
      im[x * n + y] = si / (n * n);
    }
  return { n, re, im };
}
/** (a ⊛ s)[p] = Σ_q a[q]·s[(p − q) mod n], then every k-th sample along each axis. */
function convolveDecimate(a: C, s: C, k: number): C {
  const { n } = a;
  const m = n / k;
  const re = new Float64Array(m * m);
  const im = new Float64Array(m * m);
  for (let px = 0; px < m; px++)
    for (let py = 0; py < m; py++) {
      let sr = 0;
      let si = 0;
      for (let qx = 0; qx < n; qx++)
        for (let qy = 0; qy < n; qy++) {
          const ar = a.re[qx * n + qy]!;
          const ai = a.im[qx * n + qy]!;
          if (ar === 0 && ai === 0) continue;
          const idx = ((((px * k - qx) % n) + n) % n) * n + ((((py * k - qy) % n) + n) % n);
          sr += ar * s.re[idx]! - ai * s.im[idx]!;
          si += ar * s.im[idx]! + ai * s.re[idx]!;
        }
      re[px * m + py] = sr;
      im[px * m + py] = si;
    }
  return { n: m, re, im };
}
const modulus = (a: C): C => ({ n: a.n, re: a.re.map((r, i) => Math.hypot(r, a.im[i]!)), im: new Float64Array(a.re.length) });

/** kymatio's transform computed directly: [K][h·w] with the one-pixel border cropped. */
function directScattering(img: Float64Array, size: number, J: number, L: number): number[][] {
  const [before, , padded] = scatteringPadding(size, J);
  const x: C = { n: padded, re: new Float64Array(padded * padded), im: new Float64Array(padded * padded) };
  const reflect = (i: number) => {
    let r = i - before;
    if (r < 0) r = -r;
    if (r >= size) r = 2 * (size - 1) - r;
    return r;
  };
  for (let i = 0; i < padded; i++) for (let k = 0; k < padded; k++) x.re[i * padded + k] = img[reflect(i) * size + reflect(k)]!;
  const bank = filterBank(padded, padded, J, L);
  const phi = (res: number) => spatial(periodize(bank.phi, res));
  const psi = (j: number, theta: number, res: number) => spatial(periodize(bank.psi[j * L + theta]!.fourier, res));
  const crop = (a: C) => {
    const out: number[] = [];
    for (let i = 1; i < a.n - 1; i++) for (let k = 1; k < a.n - 1; k++) out.push(a.re[i * a.n + k]!);
    return out;
  };
  const out = [crop(convolveDecimate(x, phi(0), 2 ** J))];
  for (let j1 = 0; j1 < J; j1++)
    for (let t1 = 0; t1 < L; t1++) {
      const u1 = modulus(convolveDecimate(x, psi(j1, t1, 0), 2 ** j1));
      out.push(crop(convolveDecimate(u1, phi(j1), 2 ** (J - j1))));
      for (let j2 = j1 + 1; j2 < J; j2++)
        for (let t2 = 0; t2 < L; t2++) {
          const u2 = modulus(convolveDecimate(u1, psi(j2, t2, j1), 2 ** (j2 - j1)));
          out.push(crop(convolveDecimate(u2, phi(j2), 2 ** (J - j2))));
        }
    }
  return out;
}

describe('scattering filters', () => {
  const J = 2;
  const L = 8;
  const n = 36;
  const bank = filterBank(n, n, J, L);
  it('wavelets have no DC response and peak at their centre frequency ξ_j along θ; the low-pass has unit gain', () => {
    for (const { j, theta, fourier } of bank.psi) {
      const max = Math.max(...fourier.data);
      expect(Math.abs(fourier.data[0]!)).toBeLessThan(1e-6 * max);
      const peak = fourier.data.indexOf(max);
      // Frequency (cycles per grid) of the peak, wrapped to [−n/2, n/2).
      const wrap = (f: number) => (f >= n / 2 ? f - n : f);
      const [fu, fv] = [wrap(Math.floor(peak / n)), wrap(peak % n)];
      const angle = ((L / 2 - 1 - theta) * Math.PI) / L;
      const xi = ((3 / 4) * Math.PI) / 2 ** j;
      const expected = [(xi * Math.cos(angle) * n) / (2 * Math.PI), (xi * Math.sin(angle) * n) / (2 * Math.PI)];
      // Within about a bin (the slanted envelope and sampling move the discrete peak a little).
      expect(Math.hypot(fu - expected[0]!, fv - expected[1]!)).toBeLessThan(1.6);
    }
    expect(bank.phi.data[0]).toBeCloseTo(1, 3);
    expect(Math.max(...bank.phi.data)).toBeCloseTo(bank.phi.data[0]!, 6);
  });

  it('kymatio padding and channel count: 28 → 36, 81 channels at 7 × 7', () => {
    expect(scatteringPadding(28, 2)).toEqual([4, 4, 36]);
    expect(scatteringChannels(2, 8)).toBe(81);
  });
});

describe('scattering transform', () => {
  it('equals a direct float64 computation with the same filters (circular convolutions, spatial subsampling)', () => {
    const size = 12;
    const J = 2;
    const L = 4;
    const img = blobImage(size, 3, 2);
    const { values, shape } = transform([img], size, J, L);
    const K = scatteringChannels(J, L);
    expect(shape).toEqual([1, 3, 3, K]);
    const reference = directScattering(img, size, J, L);
    expect(reference).toHaveLength(K);
    let worst = 0;
    let scale = 0;
    reference.forEach((channel, k) =>
      channel.forEach((v, p) => {
        worst = Math.max(worst, Math.abs(values[p * K + k]! - v));
        scale = Math.max(scale, Math.abs(v));
      }),
    );
    expect(scale).toBeGreaterThan(0.01);
    expect(worst).toBeLessThan(1e-4 * scale);
    // Second-order channels are not all zero (the check would be vacuous there otherwise).
    expect(
      Math.max(
        ...reference
          .slice(1 + J * L)
          .flat()
          .map(Math.abs),
      ),
    ).toBeGreaterThan(1e-3 * scale);
  }, 60_000);

  it('a shift by 2^J pixels shifts the output by one pixel; a one-pixel shift changes it far less than the pixels', () => {
    const size = 28;
    // Blobs (σ ≤ 1.2, cut at 1e-3: 4.5 pixels) centred 10…18 pixels in: still inside the frame shifted by 4.
    const img = blobImage(size, 5, 10, 1.2);
    const shift = (im: Float64Array, dy: number) => {
      const out = new Float64Array(im.length);
      for (let i = 0; i < size; i++)
        for (let k = 0; k < size; k++) if (i - dy >= 0 && i - dy < size) out[i * size + k] = im[(i - dy) * size + k]!;
      return out;
    };
    const { values: a, shape } = transform([img, shift(img, 4), shift(img, 1)], size, 2, 8);
    expect(shape).toEqual([3, 7, 7, 81]);
    const per = 7 * 7 * 81;
    const at = (n: number, i: number, k: number, c: number) => a[n * per + (i * 7 + k) * 81 + c]!;
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < 6; i++)
      for (let k = 0; k < 7; k++)
        for (let c = 0; c < 81; c++) {
          diff = Math.max(diff, Math.abs(at(1, i + 1, k, c) - at(0, i, k, c)));
          norm = Math.max(norm, Math.abs(at(0, i, k, c)));
        }
    expect(diff).toBeLessThan(1e-3 * norm); // float32 rounding; a content cut by the frame gave 3e-3
    const rel = (u: ArrayLike<number>, v: ArrayLike<number>) => {
      let d = 0;
      let s = 0;
      for (let i = 0; i < u.length; i++) {
        d += (u[i]! - v[i]!) ** 2;
        s += u[i]! ** 2;
      }
      return Math.sqrt(d / s);
    };
    const pixelChange = rel(img, shift(img, 1));
    const featureChange = rel(a.subarray(0, per), a.subarray(2 * per, 3 * per));
    expect(featureChange).toBeLessThan(pixelChange / 2);
  }, 60_000);
});

function scatterNet(groupNorm = 27): Model {
  return sequential([
    layers.scattering2d({ groupNorm, inputShape: [28, 28, 1] }),
    layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh' }),
    layers.flatten(),
    layers.dense({ units: 3, activation: 'softmax' }),
  ]);
}

function images(n: number, seed: number): { x: Tensor; y: Tensor } {
  const all = Array.from({ length: n }, (_, i) => blobImage(28, seed + i));
  return {
    x: tf.tensor4d(Float32Array.from(all.flatMap((im) => Array.from(im))), [n, 28, 28, 1]),
    y: tf.tensor1d(Float32Array.from({ length: n }, (_, i) => i % 3)),
  };
}

describe('scattering2d layer', () => {
  it('is weight-free and non-trainable; groupNorm standardises each example per group of channels', () => {
    const model = scatterNet();
    const layer = model.net.layers[0]!;
    expect(layer.getClassName()).toBe('Scattering2D');
    expect(layer.weights).toHaveLength(0);
    expect(layer.trainable).toBe(false);
    const { x: raw, y } = images(2, 1);
    // Bright images: GroupNorm's ε (1e-5, added to the variance) is then negligible against every group's variance.
    const x = tf.mul(raw, 100);
    const out = layer.apply(x) as Tensor;
    expect(out.shape).toEqual([2, 7, 7, 81]);
    const grouped = tf.reshape(out, [2, 49, 27, 3]);
    const { mean, variance } = tf.moments(grouped, [1, 3]);
    for (const m of mean.dataSync()) expect(Math.abs(m)).toBeLessThan(1e-4);
    for (const v of variance.dataSync()) expect(v).toBeCloseTo(1, 2);
    tf.dispose([raw, x, y, out, grouped, mean, variance]);
  });

  it('saves and loads: the reloaded model has the layer and its settings, and predicts the same from raw pixels', async () => {
    setSeed(3);
    const model = scatterNet(9);
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy' });
    const dir = join(root, 'scatter');
    await model.save(dir);
    const loaded = await loadModel(dir);
    expect(loaded.net.layers[0]!.getClassName()).toBe('Scattering2D');
    expect(loaded.net.layers[0]!.getConfig()).toMatchObject({ J: 2, L: 8, groupNorm: 9 });
    const { x, y } = images(4, 7);
    const [p, q] = [model.predict(x), loaded.predict(x)];
    expect(Array.from(q.dataSync())).toEqual(Array.from(p.dataSync()));
    tf.dispose([x, y, p, q]);
    // Keras has no such layer: writing a .keras file is refused, naming it.
    await expect(model.save(join(root, 'scatter.keras'))).rejects.toThrow(/Scattering2D/);
  });

  it('DP-SGD trains through it, precomputing its features: the same weights as training the rest on them directly', async () => {
    const { x, y } = images(96, 11);
    const compileDp = (m: Model) =>
      m.compile({
        optimizer: { name: 'dpSgd', learningRate: 0.5, l2NormClip: 0.1, noiseMultiplier: 1 },
        loss: 'sparseCategoricalCrossentropy',
        metrics: ['accuracy'],
      });
    setSeed(21);
    const whole = scatterNet();
    compileDp(whole);
    const features = whole.net.layers[0]!.apply(x) as Tensor;
    // The same head, started from the same weights, on the precomputed features.
    const head = sequential([
      layers.conv2d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'tanh', inputShape: [7, 7, 81] }),
      layers.flatten(),
      layers.dense({ units: 3, activation: 'softmax' }),
    ]);
    head.net.setWeights(whole.net.getWeights());
    compileDp(head);
    const initial = whole.net.getWeights().map((w) => Array.from(w.dataSync()));
    setSeed(5);
    await whole.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 });
    setSeed(5);
    await head.fit(features, y, { epochs: 2, batchSize: 32, verbose: 0 });
    expect(whole.optimizer.iterations).toBe(6);
    const [a, b] = [whole.net.getWeights(), head.net.getWeights()];
    expect(a).toHaveLength(b.length);
    a.forEach((w, i) => {
      const [u, v] = [w.dataSync(), b[i]!.dataSync()];
      for (let k = 0; k < u.length; k++) expect(u[k]).toBeCloseTo(v[k]!, 5);
    });
    // And they moved: the steps were not no-ops.
    expect(Array.from(a[0]!.dataSync())).not.toEqual(initial[0]);
    tf.dispose([x, y, features]);
  }, 60_000);
});
