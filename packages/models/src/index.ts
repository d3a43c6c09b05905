/** @dl/models: named, ready-to-train presets over @dl/core, each with its default dataset and recipe. */
export { PRESETS, getPreset, presetNames, UnknownPresetError } from './registry.js';
export { cnn } from './presets/cnn.js';
export type { Preset, PresetData, Split, LoadDataOptions, TrainDefaults } from './preset.js';
