/** @dl/models: named, ready-to-train presets over @dl/core, each with its default dataset and recipe. */
export { PRESETS, getPreset, presetNames, textPresetNames, UnknownPresetError } from './registry.js';
export { cnn, CNN_PIXEL_RANGE } from './presets/cnn.js';
export { gan, GAN_PIXEL_RANGE } from './presets/gan.js';
export * from './gan/index.js';
export { lstm, LSTM_INPUT, lstmInput, LSTM_SEQUENCE_LENGTH, LSTM_VOCABULARY_SIZE } from './presets/lstm.js';
export {
  textClassifier,
  textClassifierInput,
  DP_STOP_WORDS,
  DP_UNIGRAM_VOCABULARY_SIZE,
  frequentBigrams,
  MAX_BIGRAMS,
  MIN_BIGRAM_COUNT,
  TEXT_CLASSIFIER_INPUT,
  TEXT_CLASSIFIER_INPUT_LENGTH,
  UNIGRAM_VOCABULARY_SIZE,
  WINDOW,
} from './presets/text-classifier.js';
export { loadImdbSequences, wordsByRank, type ImdbSequences, type SequenceSplit } from './imdb-text.js';
export { classifyTexts, loadVocabulary, saveVocabulary, VOCABULARY_JSON, type TextPrediction } from './vocabulary.js';
export type { Preset, PresetData, Split, LoadDataOptions, TrainDefaults, TextSupport, DpRecipe, DpTraining } from './preset.js';
export {
  DL_MODEL_JSON,
  EXPORT_TOKENIZER_JS,
  EXPORT_VOCABULARY_JSON,
  type DlModelJson,
  type ExportKind,
  type ExportOutput,
  type ExportQuantization,
} from './export/dl-model-json.js';
export { exportModel, type ExportOptions, type ExportResult } from './export/export-model.js';
export { exportKeras, KERAS_DISCRIMINATOR, KERAS_GENERATOR, type KerasExportResult } from './export/export-keras.js';
export { loadExport, readExportMeta, type LoadedExport } from './export/load-export.js';
export { loadSourceModel, type SourceModel } from './export/source-model.js';
