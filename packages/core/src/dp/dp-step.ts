/**
 * One DP-SGD step: every example's gradient clipped to L2 norm C, the clipped gradients summed, Gaussian noise of
 * standard deviation σ·C added, the result divided by the expected batch size — all in the one traced step.
 *
 * Per-example gradients are never materialised for the whole network. The forward pass is run layer by layer with a
 * zero tensor added to each weighted layer's pre-activation output z; one backward pass of Σᵢ Lᵢ with respect to those
 * zeros gives δ = ∂L/∂z, whose row i is example i's alone (no layer mixes examples). Every weighted layer supported is
 * a matrix product over T positions, z = X·W + b with X [B, T, Din] — Dense (T = 1, or the sequence), Conv2D (X its
 * input's patches, T the output positions), Embedding (X one-hot, handled sparsely) — so example i's weight gradient is
 * Gᵢ = Xᵢᵀ δᵢ and its squared norm is computed by whichever is cheaper: materialising Gᵢ (T·Din·Dout) or the "ghost
 * norm" Σₜₛ (xₜ·xₛ)(δₜ·δₛ) (T²·(Din + Dout); for T = 1 simply ‖x‖²‖δ‖²). The clipped sum Σᵢ wᵢ Gᵢ is then one matrix
 * product (X scaled by the clip factors wᵢ)ᵀ δ: one forward and one backward pass in all, as Keras's non-private step.
 *
 * LSTM is two such products summed over its steps (x with W and b, h₋₁ with U), its δ the gradient of a probe added to
 * every step's gate pre-activations (dp-lstm.ts).
 *
 * Layers that mix examples (BatchNormalization) break the per-example structure and are refused; so are weighted
 * layers without a per-example rule here yet (GRU, LayerNormalization, Bidirectional, …) — DpLayerError names them.
 */
import type { Scalar, Tensor, Tensor2D, Tensor3D, Tensor4D, Variable } from '@tensorflow/tfjs-core';
import { tf } from '../backend.js';
import type { Layer } from '../layer-types.js';
import { binaryCrossentropy, sparseCategoricalCrossentropy, type LossFn } from '../losses.js';
import { hostTensors } from '../graph/step-hooks.js';
import { nativeBackend, runNativeOp } from '../native/native-ops.js';
import { opSeed, random } from '../seed.js';
import { DpLayerError } from '../errors/dp-layer-error.js';
import { OptionError } from '../errors/option-error.js';
import type { DpSettings } from './dp-optimizers.js';
import { lstmDpBlocker, lstmProbeShape, probedLstm, type LstmTap } from './dp-lstm.js';

/** The fields of tfjs-layers' Dense, Conv2D and Embedding read here (private in its typings). */
interface WeightedLayerFields {
  kernel?: { read(): Tensor } | null;
  bias?: { read(): Tensor } | null;
  embeddings?: { read(): Tensor };
  activation?: { apply(x: Tensor): Tensor; getClassName(): string };
  strides?: number[];
  padding?: 'valid' | 'same';
  dataFormat?: string;
  dilationRate?: number | number[];
  kernelRegularizer?: unknown;
  biasRegularizer?: unknown;
  embeddingsRegularizer?: unknown;
  activityRegularizer?: unknown;
  recurrentRegularizer?: unknown;
  maskZero?: boolean;
  cell?: WeightedLayerFields;
}

/** One weighted layer's record: what its per-example gradients are made of. */
type Tap =
  | { kind: 'product'; x: Tensor3D; kernel: Variable; bias: Variable | undefined }
  | { kind: 'embedding'; ids: Tensor2D; table: Variable }
  | LstmTap;

/** What one DP step needs besides the batch. */
export interface DpStepSpec {
  layers: Layer[];
  dp: DpSettings;
  loss: LossFn;
  /** Divides the noised sum: the expected batch size q·N under Poisson sampling. */
  expectedBatchSize: number;
  /** Log 'accuracy' too. */
  accuracy: boolean;
}

/** Checks once, before training, that DP-SGD can train these layers; throws DpLayerError naming the first that it cannot. */
export function checkDpLayers(layers: Layer[]): void {
  for (const layer of layers) {
    const cls = layer.getClassName();
    const f = layer as unknown as WeightedLayerFields;
    if (cls === 'BatchNormalization') {
      throw new DpLayerError(
        `layer '${layer.name}' (BatchNormalization) mixes the examples of a batch, so a per-example gradient does not exist and DP-SGD's guarantee would not hold: remove it (DP recipes use none, e.g. tanh activations instead)`,
      );
    }
    const regularized = (g: WeightedLayerFields | undefined) =>
      g != null && (g.kernelRegularizer || g.biasRegularizer || g.embeddingsRegularizer || g.activityRegularizer || g.recurrentRegularizer);
    if (regularized(f) || regularized(f.cell)) {
      throw new DpLayerError(`layer '${layer.name}' has a regularizer: DP-SGD training does not support regularizers yet; remove it`);
    }
    if (layer.trainableWeights.length === 0) continue;
    if (cls === 'Embedding' && f.maskZero) {
      throw new DpLayerError(
        `layer '${layer.name}' (Embedding) has maskZero: DP-SGD's step does not propagate masks, so the layers after it would see the padding; set maskZero false (pad in front instead, as the lstm preset does)`,
      );
    }
    if (cls === 'Dense' || cls === 'Embedding') continue;
    if (cls === 'LSTM') {
      const blocker = lstmDpBlocker(layer);
      if (blocker !== null) throw new DpLayerError(`layer '${layer.name}' (LSTM): ${blocker}`);
      continue;
    }
    if (cls === 'Conv2D') {
      if (f.dataFormat !== 'channelsLast') throw new DpLayerError(`layer '${layer.name}' (Conv2D): DP-SGD needs channelsLast data`);
      continue;
    }
    throw new DpLayerError(
      `layer '${layer.name}' (${cls}) has weights but no per-example gradient rule in DP-SGD yet (supported: Dense, Conv2D, Embedding, LSTM and layers without weights)`,
    );
  }
}

/**
 * The DP step on a padded batch: rows with `mask` 0 are padding (Poisson batches vary in size, the traced step does
 * not). Applies the noised gradient with `optimizer` and returns the logged values [loss, accuracy?] over the real rows.
 */
export function dpTrainValues(
  spec: DpStepSpec,
  optimizer: { applyGradients(g: Array<{ name: string; tensor: Tensor }>): void },
  x: Tensor,
  y: Tensor,
  mask: Tensor,
): Tensor {
  const { layers, dp } = spec;
  const batch = x.shape[0]!;
  // One zero perturbation per weighted layer, added to its pre-activation (an LSTM's: every step's gates).
  const zeros = layers.flatMap((layer) => {
    if (layer.trainableWeights.length === 0) return [];
    if (layer.getClassName() === 'LSTM') return [tf.zeros(lstmProbeShape(layer, batch))];
    return [tf.zeros([batch, ...(layer.outputShape as number[]).slice(1)])];
  });
  const taps: Tap[] = [];
  let logged: { perExample: Tensor; yPred: Tensor } | undefined;
  const total = (...perturbations: Tensor[]): Scalar => {
    taps.length = 0;
    const { losses, yPred } = forwardLosses(spec, x, y, perturbations, taps);
    logged = { perExample: tf.keep(losses), yPred: tf.keep(yPred) };
    return tf.sum(tf.mul(losses, mask));
  };
  const deltas = tf.grads(total)(zeros);
  const { perExample, yPred } = logged!;
  const weights = tf.tidy(() => {
    let squaredNorms: Tensor = tf.zeros([batch]);
    taps.forEach((tap, i) => {
      squaredNorms = tf.add(squaredNorms, squaredNormsOf(tap, deltas[i]!));
    });
    // wᵢ = min(1, C / ‖gᵢ‖): scale down, never up; padding rows weigh 0.
    const clip = tf.minimum(1, tf.div(dp.l2NormClip, tf.add(tf.sqrt(squaredNorms), 1e-12)));
    return tf.mul(clip, mask);
  });
  const variables = taps.flatMap(tapVariables);
  const sums = taps.flatMap((tap, i) => clippedSums(tap, deltas[i]!, weights));
  const noise = gaussianNoise(
    variables.map((v) => v.shape),
    dp,
  );
  const gradients = tf.tidy(() =>
    variables.map((v, i) => ({ name: v.name, tensor: tf.div(tf.add(sums[i]!, noise[i]!), spec.expectedBatchSize) })),
  );
  optimizer.applyGradients(gradients);
  try {
    return tf.tidy(() => {
      const count = tf.maximum(tf.sum(mask), 1);
      const values: Tensor[] = [tf.div(tf.sum(tf.mul(perExample, mask)), count)];
      if (spec.accuracy) values.push(tf.div(tf.sum(tf.mul(perExampleAccuracy(y, yPred), mask)), count));
      return tf.stack(values);
    });
  } finally {
    tf.dispose([
      ...zeros,
      ...deltas,
      ...taps.flatMap(tapTensors),
      perExample,
      yPred,
      weights,
      ...sums,
      ...noise,
      ...gradients.map((g) => g.tensor),
    ]);
  }
}

/**
 * N(0, (σC)²) noise of each shape, fresh every step: TensorFlow's StatelessRandomNormal inside the graph, fed new
 * seeds (from setSeed's stream when seeded) and σC by the host at every call — tfjs's randomNormal runs in JavaScript,
 * seconds for an embedding table. Each variable gets its own seed, so the noise of two variables is independent.
 */
function gaussianNoise(shapes: number[][], dp: DpSettings): Tensor[] {
  const backend = nativeBackend();
  const seedInt = () => Math.floor(random() * 0x7fffffff);
  if (backend === null) {
    return hostTensors(() =>
      shapes.map((shape) => tf.randomNormal(shape, 0, dp.noiseMultiplier * dp.l2NormClip, 'float32', opSeed(seedInt()))),
    );
  }
  const [std, ...seeds] = hostTensors(() => [
    tf.scalar(dp.noiseMultiplier * dp.l2NormClip),
    ...shapes.map(() => tf.tensor1d([seedInt(), seedInt()], 'int32')),
  ]);
  const { TF_ATTR_TYPE, TF_FLOAT, TF_INT32 } = backend.binding;
  const attrs = [
    { name: 'dtype', type: TF_ATTR_TYPE, value: TF_FLOAT },
    { name: 'T', type: TF_ATTR_TYPE, value: TF_INT32 },
    { name: 'Tseed', type: TF_ATTR_TYPE, value: TF_INT32 },
  ];
  return shapes.map((shape, i) =>
    tf.mul(runNativeOp(backend, 'StatelessRandomNormal', attrs, [tf.tensor1d(shape, 'int32'), seeds[i]!])[0]!, std!),
  );
}

/** The forward pass recording taps, with `perturbations[k]` added to the k-th weighted layer's pre-activation. */
function forwardLosses(spec: DpStepSpec, x: Tensor, y: Tensor, perturbations: Tensor[], taps: Tap[]): { losses: Tensor; yPred: Tensor } {
  let h = x;
  let k = 0;
  const last = spec.layers.length - 1;
  for (const [index, layer] of spec.layers.entries()) {
    const cls = layer.getClassName();
    const f = layer as unknown as WeightedLayerFields;
    if (layer.trainableWeights.length === 0) {
      h = layer.apply(h, { training: true }) as Tensor;
      continue;
    }
    let z: Tensor;
    if (cls === 'Embedding') {
      const table = f.embeddings!.read() as Variable;
      const ids = tf.cast(h, 'int32') as Tensor2D;
      taps.push({ kind: 'embedding', ids: tf.keep(ids), table });
      z = tf.add(tf.gather(table, ids), perturbations[k++]!);
      h = z;
      continue;
    }
    if (cls === 'LSTM') {
      const { y, tap } = probedLstm(layer, h as Tensor3D, perturbations[k++] as Tensor3D);
      taps.push(tap);
      h = y;
      continue;
    }
    const kernel = f.kernel!.read() as Variable;
    const bias = f.bias?.read() as Variable | undefined;
    if (cls === 'Dense') {
      const din = kernel.shape[0]!;
      const flat = tf.reshape(h, [-1, din]);
      z = tf.reshape(tf.matMul(flat, kernel), [...h.shape.slice(0, -1), kernel.shape[1]!]);
      taps.push({ kind: 'product', x: tf.keep(tf.reshape(h, [h.shape[0]!, -1, din])) as Tensor3D, kernel, bias });
    } else {
      // Conv2D: the patches X [B, positions, kh·kw·Cin] are the input convolved with an identity kernel.
      const [kh, kw, cin] = kernel.shape as number[];
      const size = kh! * kw! * cin!;
      const strides = f.strides as [number, number];
      const dilations = [f.dilationRate ?? 1].flat() as number[];
      const d = (dilations.length === 1 ? [dilations[0], dilations[0]] : dilations) as [number, number];
      z = tf.conv2d(h as Tensor4D, kernel as unknown as Tensor4D, strides, f.padding!, 'NHWC', d);
      const patches = convPatches(h as Tensor4D, [kh!, kw!, cin!], strides, f.padding!, d);
      taps.push({ kind: 'product', x: tf.keep(tf.reshape(patches, [h.shape[0]!, -1, size])) as Tensor3D, kernel, bias });
    }
    if (bias) z = tf.add(z, bias);
    z = tf.add(z, perturbations[k++]!);
    if (index === last) return finalLosses(spec.loss, f.activation!, z, y);
    h = f.activation!.apply(z);
  }
  return { losses: perExampleLoss(spec.loss, y, h), yPred: h };
}

/**
 * A convolution's input patches [B, oh, ow, kh·kw·Cin], in the kernel's (row, column, channel) order: TensorFlow's
 * ExtractImagePatches on the native backend (a copy), else the input convolved with an identity kernel, which costs
 * (kh·kw·Cin)² multiply-adds per position — 95% of a DP step on 7 × 7 × 81 scattering features with a 3 × 3 kernel.
 * Nothing differentiates through them (they are read after the backward pass), so the native op needs no gradient.
 */
function convPatches(
  h: Tensor4D,
  [kh, kw, cin]: number[],
  strides: [number, number],
  padding: 'valid' | 'same',
  d: [number, number],
): Tensor {
  const backend = nativeBackend();
  if (backend !== null) {
    const b = backend.binding;
    const attrs = [
      { name: 'ksizes', type: b.TF_ATTR_INT, value: [1, kh!, kw!, 1] },
      { name: 'strides', type: b.TF_ATTR_INT, value: [1, strides[0], strides[1], 1] },
      { name: 'rates', type: b.TF_ATTR_INT, value: [1, d[0], d[1], 1] },
      { name: 'padding', type: b.TF_ATTR_STRING, value: padding.toUpperCase() },
      { name: 'T', type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    ];
    return runNativeOp(backend, 'ExtractImagePatches', attrs, [h])[0]!;
  }
  const size = kh! * kw! * cin!;
  return tf.conv2d(h, tf.reshape(tf.eye(size), [kh!, kw!, cin!, size]) as Tensor4D, strides, padding, 'NHWC', d);
}

/** Per-example loss from the last layer's pre-activation, through logits where the pair allows (stable, as Keras). */
function finalLosses(loss: LossFn, activation: { apply(x: Tensor): Tensor; getClassName(): string }, z: Tensor, y: Tensor) {
  const name = activation.getClassName();
  if (name === 'softmax' && loss === sparseCategoricalCrossentropy && z.rank === 2) {
    const labels = tf.oneHot(tf.cast(tf.reshape(y, [-1]), 'int32'), z.shape[1]!);
    return { losses: tf.neg(tf.sum(tf.mul(labels, tf.logSoftmax(z)), -1)), yPred: tf.softmax(z) };
  }
  if (name === 'sigmoid' && loss === binaryCrossentropy) {
    // −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y·z
    const t = tf.reshape(tf.cast(y, 'float32'), z.shape);
    const perElement = tf.sub(tf.softplus(z), tf.mul(t, z));
    const losses =
      z.rank === 1
        ? perElement
        : tf.mean(
            perElement,
            Array.from({ length: z.rank - 1 }, (_, i) => i + 1),
          );
    return { losses, yPred: tf.sigmoid(z) };
  }
  const yPred = activation.apply(z);
  return { losses: perExampleLoss(loss, y, yPred), yPred };
}

function perExampleLoss(loss: LossFn, y: Tensor, yPred: Tensor): Tensor {
  const losses = loss(y, yPred);
  if (losses.rank !== 1)
    throw new OptionError(`DP-SGD needs a loss with one value per example (shape [n]); this one returned shape [${losses.shape}]`);
  return losses;
}

/** ‖Gᵢ‖² per example, bias included: Gᵢ materialised or by the ghost norm, whichever costs less. */
function squaredNormsOf(tap: Tap, delta: Tensor): Tensor {
  return tf.tidy(() => {
    if (tap.kind === 'embedding') return embeddingSquaredNorms(tap.ids, delta as Tensor3D);
    const d = tf.reshape(delta, [tap.x.shape[0], tap.x.shape[1], -1]) as Tensor3D;
    const norms = productSquaredNorms(tap.x, d, tap.bias != null);
    // An LSTM's U: the same δ against h before each step.
    return tap.kind === 'lstm' ? tf.add(norms, productSquaredNorms(tap.hPrev, d, false)) : norms;
  });
}

/** ‖Xᵢᵀδᵢ‖² (+ ‖Σₜ δᵢₜ‖² with a bias) per example, for X [B, T, Din] and δ [B, T, Dout]. */
function productSquaredNorms(x: Tensor3D, d: Tensor3D, bias: boolean): Tensor {
  const [, t, din] = x.shape;
  const dout = d.shape[2];
  let norms: Tensor;
  if (t === 1) norms = tf.mul(tf.sum(tf.square(x), [1, 2]), tf.sum(tf.square(d), [1, 2]));
  else if (din * dout <= t * (din + dout)) norms = tf.sum(tf.square(tf.matMul(x, d, true, false)), [1, 2]);
  else norms = tf.sum(tf.mul(tf.matMul(x, x, false, true), tf.matMul(d, d, false, true)), [1, 2]);
  if (bias) norms = tf.add(norms, tf.sum(tf.square(tf.sum(d, 1)), 1));
  return norms;
}

/**
 * ‖Gᵢ‖² of an embedding table: Gᵢ's row r is the sum of δᵢₜ over the positions t holding id r, so positions are sorted
 * by id within each example (top-k), equal ids made one segment, and the segments' sums squared.
 */
function embeddingSquaredNorms(ids: Tensor2D, delta: Tensor3D): Tensor {
  const [b, t] = ids.shape;
  const { values, indices } = tf.topk(tf.cast(ids, 'float32'), t);
  const starts = tf.concat(
    [tf.ones([b, 1]), tf.cast(tf.notEqual(values.slice([0, 1], [b, t - 1]), values.slice([0, 0], [b, t - 1])), 'float32')],
    1,
  );
  const offsets = tf.range(0, b * t, t, 'int32').reshape([b, 1]);
  const segments = tf.add(tf.sub(tf.cast(tf.cumsum(starts, 1), 'int32'), tf.scalar(1, 'int32')), offsets);
  const rows = tf.add(indices, offsets);
  const flat = tf.reshape(delta, [b * t, -1]);
  const sums = tf.unsortedSegmentSum(tf.gather(flat, tf.reshape(rows, [-1])), tf.reshape(segments, [-1]), b * t);
  return tf.sum(tf.reshape(tf.sum(tf.square(sums), 1), [b, t]), 1);
}

/** Σᵢ wᵢ Gᵢ for the tap's variables, in tapVariables' order. */
function clippedSums(tap: Tap, delta: Tensor, weights: Tensor): Tensor[] {
  return tf.tidy(() => {
    const b = weights.shape[0]!;
    if (tap.kind === 'embedding') {
      const [, t] = tap.ids.shape;
      const weighted = tf.mul(delta, tf.reshape(weights, [b, 1, 1]));
      return [tf.unsortedSegmentSum(tf.reshape(weighted, [b * t, -1]), tf.reshape(tap.ids, [-1]), tap.table.shape[0]!)];
    }
    const t = tap.x.shape[1];
    const d = tf.reshape(delta, [b * t, -1]);
    // Σᵢ wᵢ Xᵢᵀδᵢ = (X scaled by w)ᵀ δ over all rows.
    const product = (x: Tensor3D, shape: number[]) =>
      tf.reshape(tf.matMul(tf.reshape(tf.mul(x, tf.reshape(weights, [b, 1, 1])), [b * t, x.shape[2]]), d, true, false), shape);
    const sums = [product(tap.x, tap.kernel.shape)];
    if (tap.kind === 'lstm') sums.push(product(tap.hPrev, tap.recurrentKernel.shape));
    if (tap.bias) sums.push(tf.sum(tf.mul(tf.reshape(delta, [b, t, -1]), tf.reshape(weights, [b, 1, 1])), [0, 1]));
    return sums;
  });
}

/** The variables a tap's gradients are for, in the order clippedSums returns them. */
function tapVariables(tap: Tap): Variable[] {
  if (tap.kind === 'embedding') return [tap.table];
  const bias = tap.bias ? [tap.bias] : [];
  return tap.kind === 'lstm' ? [tap.kernel, tap.recurrentKernel, ...bias] : [tap.kernel, ...bias];
}

function tapTensors(tap: Tap): Tensor[] {
  if (tap.kind === 'embedding') return [tap.ids];
  return tap.kind === 'lstm' ? [tap.x, tap.hPrev] : [tap.x];
}

/** Keras's accuracy per example (argmax for several classes, 0.5 threshold for one), as 0/1 floats. */
function perExampleAccuracy(yTrue: Tensor, yPred: Tensor): Tensor {
  const classes = yPred.shape[yPred.shape.length - 1] ?? 1;
  const predicted = classes > 1 && yPred.rank > 1 ? tf.argMax(yPred, -1) : tf.cast(tf.greater(tf.reshape(yPred, [-1]), 0.5), 'int32');
  return tf.cast(tf.equal(predicted, tf.cast(tf.reshape(yTrue, [-1]), 'int32')), 'float32');
}
