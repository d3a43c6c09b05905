/**
 * `dl-model.json`, written by `dl export` beside an exported model's `model.json`: everything a page or a server needs
 * to feed the model and to read its output, without knowing dl's presets. This type is the schema.
 */
import type { TextInput } from '@dl/data';

/** The file name in an export folder. */
export const DL_MODEL_JSON = 'dl-model.json';
/** The text presets' vocabulary in an export folder (TextVectorization's JSON, copied from the run folder). */
export const EXPORT_VOCABULARY_JSON = 'vocabulary.json';
/** The text presets' encoding module in an export folder: @dl/data's tokenizer.js, copied verbatim. */
export const EXPORT_TOKENIZER_JS = 'tokenizer.js';

export type ExportKind = 'image-classifier' | 'text-classifier' | 'gan-generator';
/** How the weights are stored: float32 as trained, or quantized (TF.js's converter's `quantization` manifest entries). */
export type ExportQuantization = 'float32' | 'float16' | 'uint8';

/** What the model's single output is. */
export type ExportOutput =
  /** Softmax probabilities `[batch, labels.length]`, summing to 1, by label index (image-classifier). */
  | { type: 'probabilities'; shape: number[] }
  /** Sigmoid probability `[batch, 1]` that the input is `labels[1]` (> 0.5 → labels[1], as dl's accuracy decides). */
  | { type: 'probability'; shape: number[] }
  /** Images `[batch, height, width, channels]` with pixel values in `range` (gan-generator: tanh, [-1, 1]). */
  | { type: 'image'; shape: number[]; range: [number, number] };

export interface DlModelJson {
  format: 'dl-export';
  version: 1;
  /** The dl preset that built the model (`dl list`). */
  preset: string;
  kind: ExportKind;
  /** One input, without the batch dimension: `[28, 28, 1]` (images), `[200]` / `[800]` (text), `[latentDim]` (GAN). */
  inputShape: number[];
  /** dtype of the input tensor: 'float32' (images, latent vectors) or 'int32' (word indices). */
  inputDtype: 'float32' | 'int32';
  output: ExportOutput;
  /** Class names by output index: `'0'`…`'9'` (image-classifier), `[negative, positive]` (text-classifier). */
  labels?: string[];
  /**
   * image-classifier: what pixel values 0…255 map to, linearly (`lo + p · (hi − lo) / 255`), as the preset trained:
   * [0, 1] for the cnn. MNIST digits are light strokes (255) on a dark background (0): invert a dark-on-light drawing.
   */
  pixelRange?: [number, number];
  /** gan-generator: length of the latent vector, drawn from a standard normal distribution. */
  latentDim?: number;
  /** text-classifier: length of the model's input row (`inputShape[0]`). */
  sequenceLength?: number;
  /**
   * text-classifier: how a text becomes the input row, for tokenizer.js: `encode(text, vocabulary, textInput)` with the
   * vocabulary of `vocabulary.json`.
   */
  textInput?: TextInput;
  /** text-classifier: the files beside model.json: 'vocabulary.json' and 'tokenizer.js'. */
  vocabulary?: string;
  tokenizer?: string;
  quantization: ExportQuantization;
  /** Weight values in the model, and bytes of weights files (model.json excluded). */
  parameters: number;
  weightBytes: number;
  /**
   * Where the model came from: the run folder (absolute path at export time) and the SHA-256 of its float32 weights,
   * so `dl evaluate` of a quantized export can measure what quantization cost against the very weights it came from.
   */
  source: { dir: string; float32Sha256: string };
  /** 'dl <version>' */
  createdBy: string;
}
