/**
 * Sample-quality scores for generated images, computed with a classifier of the same domain (for MNIST, the `cnn`
 * preset) in place of the Inception network of the original definitions:
 *
 * - **Inception Score** (Salimans et al. 2016): `exp(E_x KL(p(y|x) ‖ p(y)))` over the classifier's class
 *   probabilities — high when each image is classified confidently and the classes are evenly used. Between 1 and the
 *   number of classes; reported as mean and standard deviation over 10 equal splits, as the reference code does.
 * - **Fréchet distance** (Heusel et al. 2017, "FID"): between Gaussians fitted to the classifier's penultimate-layer
 *   features of two image sets, `‖μa − μb‖² + tr(Σa + Σb − 2 (Σa^½ Σb Σa^½)^½)`; 0 for identical statistics, lower is
 *   better. `tr((Σa^½ Σb Σa^½)^½) = tr((Σa Σb)^½)`, computed here through symmetric eigendecompositions (Jacobi), so no
 *   linear-algebra dependency is needed and the result is real and exact to float64 round-off.
 */
import { tf, type Model, type Tensor } from '@dl/core';
import { layersModelOf, tfl } from '@dl/core/tfjs-layers';

export interface InceptionScore {
  mean: number;
  std: number;
}

/**
 * The Inception Score of class probabilities `probs` (`[n, classes]`, row-major, each row summing to 1), as the mean
 * and standard deviation over `splits` consecutive equal parts.
 */
export function inceptionScore(probs: ArrayLike<number>, classes: number, splits = 10): InceptionScore {
  const n = Math.floor(probs.length / classes);
  if (n * classes !== probs.length || n === 0)
    throw new Error(`inceptionScore: ${probs.length} probabilities are not rows of ${classes} classes`);
  const parts = Math.min(splits, n);
  const scores: number[] = [];
  for (let s = 0; s < parts; s++) {
    const start = Math.floor((s * n) / parts);
    const end = Math.floor(((s + 1) * n) / parts);
    const marginal = new Float64Array(classes);
    for (let i = start; i < end; i++) for (let c = 0; c < classes; c++) marginal[c]! += probs[i * classes + c]!;
    for (let c = 0; c < classes; c++) marginal[c]! /= end - start;
    let kl = 0;
    for (let i = start; i < end; i++) {
      for (let c = 0; c < classes; c++) {
        const p = probs[i * classes + c]!;
        if (p > 0) kl += p * (Math.log(p) - Math.log(marginal[c]!));
      }
    }
    scores.push(Math.exp(kl / (end - start)));
  }
  const mean = scores.reduce((a, b) => a + b, 0) / parts;
  const std = Math.sqrt(scores.reduce((a, b) => a + (b - mean) ** 2, 0) / parts);
  return { mean, std };
}

/** Mean and covariance (with n − 1, as numpy's `np.cov`) of `count` feature vectors of size `dim`. */
export interface FeatureStatistics {
  dim: number;
  count: number;
  mean: Float64Array;
  /** `dim × dim`, row-major. */
  cov: Float64Array;
}

export function featureStatistics(features: ArrayLike<number>, dim: number): FeatureStatistics {
  const count = Math.floor(features.length / dim);
  if (count < 2 || count * dim !== features.length)
    throw new Error(`featureStatistics: need at least 2 rows of ${dim} features, got ${features.length} values`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < count; i++) for (let j = 0; j < dim; j++) mean[j]! += features[i * dim + j]!;
  for (let j = 0; j < dim; j++) mean[j]! /= count;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < dim; j++) row[j] = features[i * dim + j]! - mean[j]!;
    for (let j = 0; j < dim; j++) {
      const rj = row[j]!;
      if (rj === 0) continue;
      for (let k = j; k < dim; k++) cov[j * dim + k]! += rj * row[k]!;
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      const v = cov[j * dim + k]! / (count - 1);
      cov[j * dim + k] = v;
      cov[k * dim + j] = v;
    }
  }
  return { dim, count, mean, cov };
}

/** The Fréchet distance between the Gaussians `N(a.mean, a.cov)` and `N(b.mean, b.cov)`. */
export function frechetDistance(a: FeatureStatistics, b: FeatureStatistics): number {
  const d = a.dim;
  if (b.dim !== d) throw new Error(`frechetDistance: feature sizes differ (${a.dim} and ${b.dim})`);
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;
  let traces = 0;
  for (let i = 0; i < d; i++) traces += a.cov[i * d + i]! + b.cov[i * d + i]!;
  // tr((Σa Σb)^½) = Σ √λ over the eigenvalues λ of the symmetric PSD matrix Σa^½ Σb Σa^½.
  const rootA = symmetricSqrt(a.cov, d);
  const m = matMul(matMul(rootA, b.cov, d), rootA, d);
  symmetrize(m, d);
  const { values } = symmetricEigen(m, d);
  let traceRoot = 0;
  for (const v of values) traceRoot += Math.sqrt(Math.max(v, 0));
  return Math.max(meanTerm + traces - 2 * traceRoot, 0);
}

/** The symmetric positive semi-definite square root of a symmetric PSD matrix (negative round-off eigenvalues → 0). */
export function symmetricSqrt(matrix: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, d);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    const s = Math.sqrt(Math.max(values[k]!, 0));
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vik = vectors[i * d + k]! * s;
      for (let j = 0; j < d; j++) out[i * d + j]! += vik * vectors[j * d + k]!;
    }
  }
  return out;
}

/**
 * Eigenvalues and eigenvectors (the columns of `vectors`, row-major `d × d`) of a symmetric matrix, by the cyclic
 * Jacobi method: rotations zero the off-diagonal entries until they are negligible. Plenty fast for d ≤ a few hundred.
 */
export function symmetricEigen(matrix: Float64Array, d: number): { values: Float64Array; vectors: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  let scale = 0;
  for (let i = 0; i < d * d; i++) scale += a[i]! * a[i]!;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q]! ** 2;
    if (off <= 1e-30 * scale || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q]!;
        if (apq === 0) continue;
        const app = a[p * d + p]!;
        const aqq = a[q * d + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p]!;
          const akq = a[k * d + q]!;
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k]!;
          const aqk = a[q * d + k]!;
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p]!;
          const vkq = v[k * d + q]!;
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i]!;
  return { values, vectors: v };
}

function matMul(x: Float64Array, y: Float64Array, d: number): Float64Array {
  const out = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const xik = x[i * d + k]!;
      if (xik === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j]! += xik * y[k * d + j]!;
    }
  }
  return out;
}

function symmetrize(m: Float64Array, d: number): void {
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const v = (m[i * d + j]! + m[j * d + i]!) / 2;
      m[i * d + j] = v;
      m[j * d + i] = v;
    }
  }
}

/** What a classifier makes of a set of images: its class probabilities and its penultimate layer's features. */
export interface ClassifierOutputs {
  count: number;
  classes: number;
  /** `[count, classes]`, row-major. */
  probs: Float32Array;
  featureDim: number;
  /** `[count, featureDim]`, row-major: the input of the classifier's last layer. */
  features: Float32Array;
}

/**
 * Runs `classifier` (a softmax classifier whose last layer maps the features to the classes, as the `cnn` preset) on
 * `images` in batches, keeping its probabilities and its penultimate layer's output.
 */
export function classifierOutputs(classifier: Model, images: Tensor, batchSize = 500): ClassifierOutputs {
  const net = layersModelOf(classifier);
  const last = net.layers[net.layers.length - 1]!;
  const features = last.inboundNodes[0]!.inputTensors[0]!;
  const twoHeads = tfl.model({ inputs: net.inputs, outputs: [features, net.outputs[0]!] });
  const count = images.shape[0]!;
  const featureDim = features.shape[features.shape.length - 1] as number;
  const classes = net.outputs[0]!.shape[1] as number;
  const out = { count, classes, featureDim, probs: new Float32Array(count * classes), features: new Float32Array(count * featureDim) };
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const [f, p] = tf.tidy(() => twoHeads.predict(images.slice(start, size), { batchSize: size }) as Tensor[]);
    out.features.set(f!.dataSync(), start * featureDim);
    out.probs.set(p!.dataSync(), start * classes);
    tf.dispose([f!, p!]);
  }
  return out;
}

/** The scores of one image set: Inception Score, Fréchet distance to a reference set, and how often each class wins. */
export interface ImageSetScores {
  samples: number;
  inceptionScore: number;
  inceptionScoreStd: number;
  frechetDistance: number;
  /** Images per class, by the classifier's most probable class. */
  classCounts: number[];
}

/** Scores `outputs` (from `classifierOutputs`) against the feature statistics of a reference set. */
export function scoreOutputs(outputs: ClassifierOutputs, reference: FeatureStatistics, splits = 10): ImageSetScores {
  const is = inceptionScore(outputs.probs, outputs.classes, splits);
  const classCounts = new Array<number>(outputs.classes).fill(0);
  for (let i = 0; i < outputs.count; i++) {
    let best = 0;
    for (let c = 1; c < outputs.classes; c++)
      if (outputs.probs[i * outputs.classes + c]! > outputs.probs[i * outputs.classes + best]!) best = c;
    classCounts[best]!++;
  }
  return {
    samples: outputs.count,
    inceptionScore: is.mean,
    inceptionScoreStd: is.std,
    frechetDistance: frechetDistance(featureStatistics(outputs.features, outputs.featureDim), reference),
    classCounts,
  };
}
