/**
 * The Morlet filter bank of a 2-D scattering transform (Bruna & Mallat 2013), built as kymatio's Scattering2D builds
 * it, so that dl's transform computes the same features Tramèr & Boneh 2021 trained their DP models on: J·L Morlet
 * wavelets ψ_{j,θ} (σ = 0.8·2^j, centre frequency ξ = 3π/4 / 2^j, slant 4/L, θ = (L/2 − 1 − l)·π/L) and one Gaussian
 * low-pass φ (σ = 0.8·2^(J−1)), each sampled periodically on the padded grid (5 × 5 periods summed, so the filter is
 * periodic as the DFT assumes), taken to the Fourier domain and kept real (the Morlets are point-symmetric up to the
 * modulation, so the imaginary part of their transform is rounding noise). `periodize` gives a filter at the coarser
 * resolutions the transform subsamples to. Pure arithmetic in float64, no TensorFlow: computed once per layer.
 */

/** A real image in row-major order. */
export interface Grid {
  height: number;
  width: number;
  data: Float64Array;
}

/** The filters of one transform, in the Fourier domain at full resolution. */
export interface FilterBank {
  /** ψ_{j,θ} for j = 0…J−1, θ = 0…L−1, in that order (index j·L + θ). */
  psi: Array<{ j: number; theta: number; fourier: Grid }>;
  /** φ, the low-pass at scale 2^J. */
  phi: Grid;
}

/**
 * A complex Gabor filter exp(−xᵀ·R·D·R⁻¹·x / 2σ² + i·ξ·(x cos θ + y sin θ)), summed over 5 × 5 periods of the grid
 * and divided by 2πσ²/slant; real and imaginary parts.
 */
function gabor(
  height: number,
  width: number,
  sigma: number,
  theta: number,
  xi: number,
  slant: number,
): { re: Float64Array; im: Float64Array } {
  const c = Math.cos(theta);
  const s = Math.sin(theta);
  // R·diag(1, slant²)·R⁻¹ / 2σ²
  const a = (c * c + s * s * slant * slant) / (2 * sigma * sigma);
  const b = (c * s - s * c * slant * slant) / (2 * sigma * sigma);
  const d = (s * s + c * c * slant * slant) / (2 * sigma * sigma);
  const re = new Float64Array(height * width);
  const im = new Float64Array(height * width);
  for (let ex = -2; ex <= 2; ex++) {
    for (let ey = -2; ey <= 2; ey++) {
      for (let i = 0; i < height; i++) {
        const x = i + ex * height;
        for (let k = 0; k < width; k++) {
          const y = k + ey * width;
          const magnitude = Math.exp(-(a * x * x + 2 * b * x * y + d * y * y));
          const phase = xi * (x * c + y * s);
          re[i * width + k]! += magnitude * Math.cos(phase);
          im[i * width + k]! += magnitude * Math.sin(phase);
        }
      }
    }
  }
  const norm = (2 * Math.PI * sigma * sigma) / slant;
  for (let i = 0; i < re.length; i++) {
    re[i]! /= norm;
    im[i]! /= norm;
  }
  return { re, im };
}

/** A Morlet wavelet: the Gabor minus its envelope scaled so that the sum (the DC response) is zero. */
function morlet(height: number, width: number, sigma: number, theta: number, xi: number, slant: number) {
  const wave = gabor(height, width, sigma, theta, xi, slant);
  const envelope = gabor(height, width, sigma, theta, 0, slant);
  // K = Σ wave / Σ envelope (a complex ratio; the envelope's sum is real)
  let waveRe = 0;
  let waveIm = 0;
  let env = 0;
  for (let i = 0; i < wave.re.length; i++) {
    waveRe += wave.re[i]!;
    waveIm += wave.im[i]!;
    env += envelope.re[i]!;
  }
  const kRe = waveRe / env;
  const kIm = waveIm / env;
  for (let i = 0; i < wave.re.length; i++) {
    wave.re[i]! -= kRe * envelope.re[i]!;
    wave.im[i]! -= kIm * envelope.re[i]!;
  }
  return wave;
}

/** The real part of the 2-D DFT of a complex grid (direct sums: the grids are small and this runs once). */
export function realDft2d(height: number, width: number, re: Float64Array, im: Float64Array): Grid {
  const out = new Float64Array(height * width);
  const cosH = (n: number) => Math.cos((2 * Math.PI * n) / height);
  const sinH = (n: number) => Math.sin((2 * Math.PI * n) / height);
  const cosW = (n: number) => Math.cos((2 * Math.PI * n) / width);
  const sinW = (n: number) => Math.sin((2 * Math.PI * n) / width);
  // Separable: first along the rows (over k), then along the columns (over i).
  const rowRe = new Float64Array(height * width);
  const rowIm = new Float64Array(height * width);
  for (let i = 0; i < height; i++) {
    for (let v = 0; v < width; v++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < width; k++) {
        const n = (v * k) % width;
        const [c, s] = [cosW(n), sinW(n)];
        // (re + i·im)·(c − i·s)
        sr += re[i * width + k]! * c + im[i * width + k]! * s;
        si += im[i * width + k]! * c - re[i * width + k]! * s;
      }
      rowRe[i * width + v] = sr;
      rowIm[i * width + v] = si;
    }
  }
  for (let u = 0; u < height; u++) {
    for (let v = 0; v < width; v++) {
      let sr = 0;
      for (let i = 0; i < height; i++) {
        const n = (u * i) % height;
        sr += rowRe[i * width + v]! * cosH(n) + rowIm[i * width + v]! * sinH(n);
      }
      out[u * width + v] = sr;
    }
  }
  return { height, width, data: out };
}

/**
 * The Fourier filter at resolution 2^−res: frequencies outside the band the subsampled grid can hold are dropped and
 * the rest folded (summed) onto the smaller grid, as kymatio's `periodize_filter_fft`.
 */
export function periodize(filter: Grid, res: number): Grid {
  const { height, width, data } = filter;
  const k = 2 ** res;
  const h = height / k;
  const w = width / k;
  const startX = Math.trunc(height * 2 ** (-res - 1));
  const lenX = Math.trunc(height * (1 - 2 ** -res));
  const startY = Math.trunc(width * 2 ** (-res - 1));
  const lenY = Math.trunc(width * (1 - 2 ** -res));
  const out = new Float64Array(h * w);
  for (let x = 0; x < height; x++) {
    if (x >= startX && x < startX + lenX) continue;
    for (let y = 0; y < width; y++) {
      if (y >= startY && y < startY + lenY) continue;
      out[(x % h) * w + (y % w)]! += data[x * width + y]!;
    }
  }
  return { height: h, width: w, data: out };
}

/** The filter bank for a padded grid of `height` × `width` (both multiples of 2^J), J scales and L orientations. */
export function filterBank(height: number, width: number, J: number, L: number): FilterBank {
  const psi: FilterBank['psi'] = [];
  for (let j = 0; j < J; j++) {
    for (let theta = 0; theta < L; theta++) {
      const angle = ((Math.trunc(L - L / 2 - 1) - theta) * Math.PI) / L;
      const w = morlet(height, width, 0.8 * 2 ** j, angle, (3 / 4) * Math.PI * 2 ** -j, 4 / L);
      psi.push({ j, theta, fourier: realDft2d(height, width, w.re, w.im) });
    }
  }
  const g = gabor(height, width, 0.8 * 2 ** (J - 1), 0, 0, 1);
  return { psi, phi: realDft2d(height, width, g.re, g.im) };
}

/** kymatio's padding: the grid grows to the next multiple of 2^J above size + 2^J, split evenly (the odd pixel after). */
export function scatteringPadding(size: number, J: number): [before: number, after: number, padded: number] {
  const padded = (Math.floor((size + 2 ** J) / 2 ** J) + 1) * 2 ** J;
  return [Math.floor((padded - size) / 2), Math.floor((padded - size + 1) / 2), padded];
}
