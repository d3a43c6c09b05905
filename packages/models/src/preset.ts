import type { Callback, CompileOptions, Model, ShapedArray } from '@dl/core';
import type { TextInput, TextVectorization } from '@dl/data';

/** A train or test split, ready for `fit`/`evaluate`: model inputs and targets. */
export interface Split {
  x: ShapedArray;
  y: ShapedArray;
}

export interface PresetData {
  train: Split;
  test: Split;
  /**
   * Text presets: the vocabulary that turned the reviews into `train.x` and `test.x`. `dl train` saves it as
   * `vocabulary.json` beside the model (see vocabulary.ts), so that `dl predict` encodes raw text the same way.
   */
  vocabulary?: TextVectorization;
}

export interface LoadDataOptions {
  /** Read the dataset's files from this folder alone (see @dl/data). */
  dataDir?: string;
  /** Keep only the first `limit` training samples. */
  limit?: number;
  /** Where the loader reports its source; false for silence. */
  log?: ((line: string) => void) | false;
  /**
   * Text presets: encode with this vocabulary (a run's vocabulary.json) instead of the preset's own. `dl evaluate`
   * passes the run's, since a DP recipe may train with another vocabulary (text-classifier's is smaller). Presets
   * with one fixed vocabulary (lstm) ignore it.
   */
  vocabulary?: TextVectorization;
}

/** Default training hyper-parameters of a preset; each can be overridden on the command line. */
export interface TrainDefaults {
  epochs: number;
  batchSize: number;
  /** The optimizer's learning rate; for presets with a schedule, its peak. */
  learningRate: number;
}

/** A training run, as the preset's callbacks need to know it. */
export interface RunSettings {
  epochs: number;
  /** Overrides `defaults.learningRate` (the schedule's peak); `dl train --learning-rate`. */
  learningRate?: number;
  /** The run's folder, for callbacks that write files there (e.g. the GAN's per-epoch sample grids). */
  outDir?: string;
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
  /**
   * Callbacks that are part of the recipe, for the given run: the learning-rate schedule (which also applies
   * `run.learningRate`), and for some presets files written into `run.outDir` (e.g. the GAN's sample grids).
   */
  callbacks(run: RunSettings): Callback[];
  /**
   * For a model whose `save(dir)` writes a layout of its own (the GAN: `dir/generator/` and `dir/discriminator/`):
   * reloads it from `dir`, compiled, or returns undefined when `dir` holds no save. Without it, `loadModel(dir)` reads
   * `dir/model.json`.
   */
  load?(dir: string): Promise<Model | undefined>;
  /** Image presets: what pixel values 0…255 of the dataset's images map to, linearly, in the model's input. */
  pixelRange?: readonly [number, number];
  /** Present on presets whose model classifies raw text (`dl predict --text`); absent on the others (e.g. cnn). */
  text?: TextSupport;
  /** How `dl train <preset> --dp` trains it with DP-SGD; absent on presets without a DP recipe. */
  dp?: DpRecipe;
}

/** The optimizer settings a DP recipe's network is compiled with. */
export interface DpTraining {
  l2NormClip: number;
  noiseMultiplier: number;
  learningRate: number;
}

/**
 * A preset's recipe for differentially private training (DP-SGD): DP wants other networks and settings than plain
 * training — no BatchNormalization, bounded activations, large batches, a clipping norm — so it has its own.
 */
export interface DpRecipe {
  /** What differs from the plain recipe, for `dl list` and the logs. */
  description: string;
  defaults: TrainDefaults & {
    /** C: per-example gradients are clipped to this L2 norm. */
    l2NormClip: number;
    /** The ε the noise multiplier is calibrated to when neither --target-epsilon nor --noise-multiplier is given. */
    targetEpsilon: number;
  };
  /** A new model compiled with a DP optimizer (dpAdam or dpSgd) of these settings. */
  build(training: DpTraining): Model;
  /** The recipe's callbacks (learning-rate schedule), as `Preset.callbacks`. */
  callbacks(run: RunSettings): Callback[];
  /**
   * The recipe's own data, when it differs from `Preset.loadData` (text-classifier: a smaller vocabulary, saved as the
   * run's vocabulary.json as usual).
   */
  loadData?(options?: LoadDataOptions): Promise<PresetData>;
}

/**
 * How a text preset turns raw text into its model's input. Its `loadData` returns the vocabulary it encoded the dataset
 * with (`PresetData.vocabulary`); `encode` with that same vocabulary, reloaded from `vocabulary.json`, gives exactly
 * the model input `loadData` would have built for the same text.
 */
export interface TextSupport {
  /** The class names, by the label they stand for: `[label 0, label 1]`, e.g. `['negative', 'positive']`. */
  labels: readonly [negative: string, positive: string];
  /**
   * How a row of word indices becomes the model's input row, as data: @dl/data's tokenizer.js (`modelInput`) reads it,
   * in Node and, through `dl export`'s dl-model.json, in a page.
   */
  input: TextInput;
  /** Raw texts → the model's input `[texts.length, …]`, tokenised and indexed with `vocabulary` (through `input`). */
  encode(vocabulary: TextVectorization, texts: readonly string[]): ShapedArray;
}
