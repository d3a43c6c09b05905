/**
 * tfjs's Adam, updating all variables at once: the gradients are concatenated into one flat vector, the moments live
 * as two flat vectors, and Adam's arithmetic runs once on them — ~30 kernel calls a step instead of 14 per variable
 * (144 on the seed CNN). Each kernel call through tfjs-node costs tens of microseconds whatever its size, so for
 * networks of many small variables this is most of the optimizer's time.
 *
 * On the native backend the arithmetic itself is TensorFlow's `ResourceApplyAdam` on flat resource variables
 * (native/adam-slots.ts): one pass instead of a dozen, and the model's variables are refreshed from the flat parameters
 * by one split. A large variable (an embedding table: the text classifier's 120,000 × 32) gets resources of its own
 * instead: gathering it into the flat vector and splitting it out again would copy it twice a step, for no saving in
 * kernel calls. Elsewhere it runs as tfjs ops.
 *
 * Sparse gradients (an embedding's, rows touched by the batch) are applied densely, as Keras 3 does: its Adam turns
 * TensorFlow's IndexedSlices into a dense tensor, so untouched rows' moments decay and, once they have moments, their
 * weights move every step (checked against Keras 3.15 on TensorFlow 2.21). A lazy update of touched rows only would
 * differ from Keras, and no closed form catches the skipped steps up exactly (each step's √v + ε differs).
 *
 * Same results as tfjs's AdamOptimizer (to float32 rounding: the bias corrections are folded into the step size,
 * `lr·√(1−β2ᵗ)/(1−β1ᵗ)`, and ε into `ε·√(1−β2ᵗ)`, which is the same update; β1ᵗ and β2ᵗ are kept on the host, rounded
 * to float32 as tfjs keeps them, so no kernel computes them), the same class name, config and saved
 * weights — `iter`, then every variable's first moment, then every second moment, named `<variable>/m` and `/v`, by
 * position as tfjs matches them — so models saved with either load into the other.
 */
import type { NamedTensorMap, Tensor, Variable } from '@tensorflow/tfjs-core';
import { tf } from './backend.js';
import { afterEachCall, beforeEachCall, hostTensors } from './graph/step-hooks.js';
import { AdamSlots } from './native/adam-slots.js';
import { nativeBackend } from './native/native-ops.js';
import { ShapeError } from './errors/shape-error.js';

/** A tensor with its name, as optimizers' weights and gradient lists hold them. */
interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/** Where each variable's slice lies in the flat vectors. */
interface Layout {
  shapes: number[][];
  sizes: number[];
  /** Native: the variables (by index) each set of resources updates, in order: the small ones together, large ones alone. */
  groups: number[][];
  /** Names of the saved moments, per variable: kept from loaded weights, else `<variable>/m`, `<variable>/v`. */
  mNames: string[];
  vNames: string[];
}

/** FlatAdam's options beyond tfjs Adam's. */
export interface FlatAdamOptions {
  /**
   * Variables of at least this many elements get TensorFlow resources of their own rather than a slice of the flat
   * ones (native backend). Default 2¹⁸ (1 MB of float32): copying such a variable costs more than the kernel call saved.
   */
  ownSlotsFrom?: number;
}

const OWN_SLOTS_FROM = 2 ** 18;

export class FlatAdam extends tf.AdamOptimizer {
  private layout: Layout | undefined;
  private readonly ownSlotsFrom: number;
  /** The flat moments: tfjs variables, or (native backend) TensorFlow resources holding the parameters too. */
  private m: Variable | undefined;
  private v: Variable | undefined;
  /** Native: one set of resources per layout group. */
  private slots: AdamSlots[] | undefined;
  /** Native: the data each model variable held after the last update; anything else there was set from outside. */
  private written: unknown[] = [];
  /** Moments by position from `setWeights`, used when the first update lays out the flat vectors. */
  private loaded: { m: NamedTensor[]; v: NamedTensor[] } | undefined;
  private accBeta: [number, number] | undefined;

  constructor(learningRate: number, beta1: number, beta2: number, epsilon?: number, options: FlatAdamOptions = {}) {
    super(learningRate, beta1, beta2, epsilon);
    this.ownSlotsFrom = options.ownSlotsFrom ?? OWN_SLOTS_FROM;
  }

  override applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients
      : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    // Like tfjs's Adam, a variable without a gradient is left alone.
    const named = list.filter((g) => g.tensor != null);
    if (named.length === 0) return;
    const variables = named.map((g) => tf.engine().registeredVariables[g.name]!);
    this.ensureLayout(named);
    const { shapes, sizes, groups } = this.layout!;

    /** Sets variables `members` from their flat update (subtracted) or new values. */
    const writeBack = (flatUpdateOrParams: Tensor, subtract: boolean, members: number[]) => {
      const parts =
        members.length === 1
          ? [flatUpdateOrParams]
          : tf.split(
              flatUpdateOrParams,
              members.map((i) => sizes[i]!),
            );
      members.forEach((i, k) => {
        const variable = variables[i]!;
        const part = shapes[i]!.length === 1 ? parts[k]! : tf.reshape(parts[k]!, shapes[i]!);
        variable.assign(subtract ? tf.sub(variable, part) : part);
      });
    };
    tf.tidy(() => {
      if (this.slots) {
        const slots = this.slots;
        // The flat parameters follow the variables unless something else wrote to them (setWeights, a restore).
        // Host work around the kernels goes through step-hooks.ts, so a traced step (graph/) repeats it every call.
        beforeEachCall(() => {
          groups.forEach((members, k) => {
            if (members.some((i) => dataIdOf(variables[i]!) !== this.written[i]))
              tf.tidy(() => slots[k]!.assign('params', flatten(members.map((i) => variables[i]!))));
          });
        });
        const scalars = hostTensors(() => {
          const [accBeta1, accBeta2] = this.accBetas();
          const epsilon = this.epsilon * Math.sqrt(Math.fround(1 - accBeta2));
          const { m: q, v: r } = this.kernelScale();
          return AdamSlots.scalars({
            learningRate: (this.learningRate * Math.sqrt(r)) / q,
            beta1: this.beta1,
            beta2: this.beta2,
            beta1Power: accBeta1,
            beta2Power: accBeta2,
            epsilon: epsilon * Math.sqrt(r),
          });
        });
        groups.forEach((members, k) => {
          slots[k]!.apply(scalars, flatten(members.map((i) => named[i]!.tensor)));
          writeBack(slots[k]!.read('params'), false, members);
        });
        afterEachCall(() => (this.written = variables.map(dataIdOf)));
      } else {
        const g = flatten(named.map((n) => n.tensor));
        // tfjs keeps β1ᵗ and β2ᵗ as float32 scalars multiplied each step; the same on the host gives the same corrections.
        const [accBeta1, accBeta2] = this.accBetas();
        const correction1 = Math.fround(1 - accBeta1);
        const correction2 = Math.sqrt(Math.fround(1 - accBeta2));
        // tfjs adds ε to √v̂ = √v / correction2: the same as adding ε·correction2 to √v.
        const epsilon = this.epsilon * correction2;
        const m = this.m!;
        const v = this.v!;
        const stepSize = (this.learningRate * correction2) / correction1;
        const m1 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v1 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        const update = tf.div(tf.mul(m1, stepSize), tf.add(tf.sqrt(v1), epsilon));
        m.assign(m1);
        v.assign(v1);
        writeBack(update, true, range(variables.length));
      }
    });
    afterEachCall(() => {
      const [accBeta1, accBeta2] = this.accBetas();
      this.incrementIterations();
      this.accBeta = [Math.fround(accBeta1 * Math.fround(this.beta1)), Math.fround(accBeta2 * Math.fround(this.beta2))];
    });
  }

  /**
   * TensorFlow's kernel updates m += (g − m)·(1 − β1) with β1 in float32, tfjs m = m·β1 + g·(1 − β1) with 1 − β1 taken
   * in float64 first: the same decay, but the gradient's weight differs (by 1.3e-5 for β2 = 0.999). So the kernel's
   * moments are tfjs's times these constants; the step size and ε passed to it compensate, and saved moments are
   * converted, so the updates and the saved state are tfjs's.
   */
  private kernelScale(): { m: number; v: number } {
    const ratio = (beta: number) => (1 - Math.fround(beta)) / Math.fround(1 - beta);
    return { m: ratio(this.beta1), v: ratio(this.beta2) };
  }

  /** β1ᵗ and β2ᵗ for the coming step t = iterations + 1, in float32 as tfjs's accBeta1/accBeta2 hold them. */
  private accBetas(): [number, number] {
    // After setWeights tfjs recomputes them as powers; so does this on first use.
    this.accBeta ??= [
      Math.fround(Math.fround(this.beta1) ** (this.iterations + 1)),
      Math.fround(Math.fround(this.beta2) ** (this.iterations + 1)),
    ];
    return this.accBeta;
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const weights = [await this.saveIterations()];
    if (this.layout) {
      const { mNames, vNames } = this.layout;
      const [ms, vs] = this.moments();
      weights.push(...ms.map((tensor, i) => ({ name: mNames[i]!, tensor })), ...vs.map((tensor, i) => ({ name: vNames[i]!, tensor })));
    } else if (this.loaded) {
      // Not trained since setWeights: hand back what was loaded (copies: callers may dispose what they get).
      weights.push(...[...this.loaded.m, ...this.loaded.v].map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })));
    }
    return weights;
  }

  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const rest = await this.extractIterations(weightValues);
    const half = rest.length / 2;
    this.disposeState();
    this.accBeta = undefined;
    const keep = (w: NamedTensor) => ({ name: w.name, tensor: tf.keep(tf.clone(w.tensor)) });
    this.loaded = { m: rest.slice(0, half).map(keep), v: rest.slice(half, 2 * half).map(keep) };
  }

  override dispose(): void {
    super.dispose();
    this.disposeState();
  }

  /** Lays out the flat moments for these variables, in this order, unless they already are. */
  private ensureLayout(named: NamedTensor[]): void {
    const shapes = named.map((n) => n.tensor.shape);
    if (this.layout && sameShapes(this.layout.shapes, shapes)) return;
    // By position, as tfjs's Adam: the i-th variable continues the i-th moments (loaded, or from an earlier layout).
    let previous = this.loaded;
    if (this.layout) {
      const { mNames, vNames } = this.layout;
      const [ms, vs] = this.moments();
      previous = {
        m: ms.map((tensor, i) => ({ name: mNames[i]!, tensor: tf.keep(tensor) })),
        v: vs.map((tensor, i) => ({ name: vNames[i]!, tensor: tf.keep(tensor) })),
      };
    }
    const sizes = shapes.map((s) => s.reduce((a: number, b: number) => a * b, 1));
    const large = range(sizes.length).filter((i) => sizes[i]! >= this.ownSlotsFrom);
    const small = range(sizes.length).filter((i) => sizes[i]! < this.ownSlotsFrom);
    const groups = [...(small.length ? [small] : []), ...large.map((i) => [i])];
    const layout: Layout = { shapes, sizes, groups, mNames: [], vNames: [] };
    const moment = (which: 'm' | 'v', names: string[]) =>
      named.map((n, i) => {
        const saved = previous?.[which][i];
        if (saved && !sameShapes([saved.tensor.shape], [n.tensor.shape])) {
          throw new ShapeError(
            `Adam: saved moment '${saved.name}' has shape [${saved.tensor.shape}] but variable '${n.name}' has [${n.tensor.shape}]`,
          );
        }
        names.push(saved?.name ?? `${n.name}/${which}`);
        return saved ? saved.tensor : tf.zerosLike(n.tensor);
      });
    const backend = nativeBackend();
    this.disposeState(false);
    tf.tidy(() => {
      const [m, v] = [moment('m', layout.mNames), moment('v', layout.vNames)];
      if (backend) {
        const scale = this.kernelScale();
        this.slots = groups.map((members) => {
          const slots = new AdamSlots(
            backend,
            members.reduce((a, i) => a + sizes[i]!, 0),
          );
          slots.assign('m', tf.mul(flatten(members.map((i) => m[i]!)), scale.m));
          slots.assign('v', tf.mul(flatten(members.map((i) => v[i]!)), scale.v));
          return slots;
        });
        this.written = []; // the parameters are copied in at the first update
      } else {
        this.m = tf.keep(flatten(m).variable(false));
        this.v = tf.keep(flatten(v).variable(false));
      }
    });
    tf.dispose([...(previous?.m ?? []), ...(previous?.v ?? [])].map((w) => w.tensor));
    this.loaded = undefined;
    this.layout = layout;
  }

  /** The moments per variable, shaped as the variables (new tensors). */
  private moments(): [Tensor[], Tensor[]] {
    const layout = this.layout!;
    return tf.tidy(() => {
      const scale = this.kernelScale();
      if (!this.slots)
        return [unflatten(this.m!, layout, range(layout.sizes.length)), unflatten(this.v!, layout, range(layout.sizes.length))];
      const ms: Tensor[] = [];
      const vs: Tensor[] = [];
      layout.groups.forEach((members, k) => {
        const slots = this.slots![k]!;
        const [m, v] = [
          unflatten(tf.div(slots.read('m'), scale.m), layout, members),
          unflatten(tf.div(slots.read('v'), scale.v), layout, members),
        ];
        members.forEach((i, j) => {
          ms[i] = m[j]!;
          vs[i] = v[j]!;
        });
      });
      return [ms, vs] as [Tensor[], Tensor[]];
    });
  }

  /** Frees the flat state (and, unless `keepLoaded`, moments loaded but not yet laid out). */
  private disposeState(freeLoaded = true): void {
    tf.dispose([this.m, this.v].filter((t): t is Variable => t !== undefined));
    for (const slots of this.slots ?? []) slots.dispose();
    if (freeLoaded && this.loaded) tf.dispose([...this.loaded.m, ...this.loaded.v].map((w) => w.tensor));
    this.layout = this.m = this.v = this.slots = undefined;
    this.written = [];
    if (freeLoaded) this.loaded = undefined;
  }
}

/** The identity of the data a variable holds (tfjs's `assign` swaps it). */
function dataIdOf(t: Tensor): unknown {
  return (t as unknown as { dataId: unknown }).dataId;
}

/** One flat vector of all `tensors`' values (no copy for a single 1-D tensor). */
function flatten(tensors: Tensor[]): Tensor {
  const flat = tensors.map((t) => (t.rank === 1 ? t : tf.reshape(t, [-1])));
  return flat.length === 1 ? flat[0]! : tf.concat(flat);
}

/** The flat vector's slices, shaped as variables `members` (whose values it holds, in that order). */
function unflatten(flat: Tensor, layout: Layout, members: number[]): Tensor[] {
  return tf.tidy(() => {
    const parts =
      members.length === 1
        ? [tf.clone(flat)]
        : tf.split(
            flat,
            members.map((i) => layout.sizes[i]!),
          );
    return parts.map((p, k) => tf.reshape(p, layout.shapes[members[k]!]!));
  });
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function sameShapes(a: number[][], b: number[][]): boolean {
  return a.length === b.length && a.every((s, i) => s.length === b[i]!.length && s.every((d, j) => d === b[i]![j]));
}
