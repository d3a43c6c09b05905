import type { Callback, CompileOptions, Model, ShapedArray } from '@dl/core';

/** A train or test split, ready for `fit`/`evaluate`: model inputs and targets. */
export interface Split {
  x: ShapedArray;
  y: ShapedArray;
}

export interface PresetData {
  train: Split;
  test: Split;
}

export interface LoadDataOptions {
  /** Read the dataset's files from this folder alone (see @dl/data). */
  dataDir?: string;
  /** Keep only the first `limit` training samples. */
  limit?: number;
  /** Where the loader reports its source; false for silence. */
  log?: ((line: string) => void) | false;
}

/** Default training hyper-parameters of a preset; each can be overridden on the command line. */
export interface TrainDefaults {
  epochs: number;
  batchSize: number;
}

/**
 * A named, ready-to-train model: its network, its default dataset and its training recipe.
 * `dl train <name>` and `dl evaluate` use nothing else.
 */
export interface Preset {
  name: string;
  description: string;
  /** The dataset the preset trains on by default (a loader in @dl/data). */
  dataset: string;
  defaults: TrainDefaults;
  /** How the model is compiled; also used to re-compile a loaded model for evaluation. */
  compileOptions(): CompileOptions;
  /** A new, compiled model. */
  build(): Model;
  /** The default dataset, preprocessed into the model's inputs and targets. */
  loadData(options?: LoadDataOptions): Promise<PresetData>;
  /** Callbacks that are part of the recipe (e.g. a learning-rate schedule), for a run of `epochs` epochs. */
  callbacks(run: { epochs: number }): Callback[];
}
