/**
 * dl's public types for the tfjs-layers objects it hands out (layers, symbolic tensors, networks), declared here
 * instead of imported: tfjs-layers' own declarations do not compile under `strict` (they are written without
 * strictNullChecks, tensorflow/tfjs#1341), so a user's `tsc --strict` that loaded them would fail without
 * skipLibCheck. Each interface is the part of the tfjs-layers class that dl's users and packages use; the objects are
 * tfjs-layers' own, so a tfjs-layers object is accepted where these are expected, and everything else it offers is
 * still there at run time.
 */
import type { DataType, Tensor } from '@tensorflow/tfjs-core';

/** A shape with `null` for a dimension left open (the batch, usually), as Keras's `None`. */
export type Shape = Array<number | null>;

/** A layer's output in a functional model under construction (`input()`, `layer.apply(...)`). */
export interface SymbolicTensor {
  readonly shape: Shape;
  readonly dtype: DataType;
  readonly name: string;
}

/** One of a layer's weights. */
export interface LayerVariable {
  readonly name: string;
  readonly shape: Shape;
  readonly trainable: boolean;
  /** The current value. */
  read(): Tensor;
}

/** A layer, as the factories of `layers` make it. */
export interface Layer {
  readonly name: string;
  trainable: boolean;
  readonly weights: LayerVariable[];
  readonly trainableWeights: LayerVariable[];
  /** The output's shape once built, `null` for the batch (several shapes for a layer with several outputs). */
  readonly outputShape: Shape | Shape[];
  /** Keras's class name ('Dense', 'Conv2D', …). */
  getClassName(): string;
  /** The layer's settings, as saved in model.json (Keras's `get_config()`). */
  getConfig(): Record<string, unknown>;
  /** Applied to symbolic tensors it builds a functional model's graph; applied to tensors, it computes. */
  apply(
    inputs: Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[],
    kwargs?: Record<string, unknown>,
  ): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[];
  countParams(): number;
  getWeights(trainableOnly?: boolean): Tensor[];
  setWeights(weights: Tensor[]): void;
}

/** The network behind a `Model` (`model.net`): its layers and their wiring. */
export interface Network extends Layer {
  readonly inputs: SymbolicTensor[];
  readonly outputs: SymbolicTensor[];
  readonly layers: Layer[];
  readonly inputNames: string[];
  readonly outputNames: string[];
  getLayer(name?: string, index?: number): Layer;
  /** Free-form metadata saved with the model (model.json's `userDefinedMetadata`). */
  setUserDefinedMetadata(metadata: object): void;
  getUserDefinedMetadata(): object | undefined;
  /** Frees the weights' memory. */
  dispose(): { refCountAfterDispose: number; numDisposedVariables: number };
}

/** A weight regularizer, as `regularizers.l1` / `l2` / `l1l2` make it. */
export interface Regularizer {
  getConfig(): Record<string, unknown>;
  apply(x: Tensor): Tensor;
  getClassName(): string;
}

/** A weight initializer (tfjs's `tf.initializers.*`); most options also take its name, e.g. `'glorotUniform'`. */
export interface Initializer {
  getConfig(): Record<string, unknown>;
  apply(shape: number[], dtype?: DataType): Tensor;
  getClassName(): string;
}

/** A weight constraint (tfjs's `tf.constraints.*`); most options also take its name, e.g. `'maxNorm'`. */
export interface Constraint {
  getConfig(): Record<string, unknown>;
  apply(w: Tensor): Tensor;
  getClassName(): string;
}
