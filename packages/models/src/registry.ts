import type { Preset } from './preset.js';
import { cnn } from './presets/cnn.js';
import { gan } from './presets/gan.js';
import { lstm } from './presets/lstm.js';
import { textClassifier } from './presets/text-classifier.js';

/** Every preset by name, as `dl list` shows them. */
export const PRESETS: Readonly<Record<string, Preset>> = { cnn, gan, lstm, 'text-classifier': textClassifier };

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** The preset called `name`; an unknown name is an error listing the valid ones. */
export function getPreset(name: string): Preset {
  if (!Object.hasOwn(PRESETS, name)) throw new UnknownPresetError(name);
  return PRESETS[name]!;
}

/** Names of the presets whose models classify raw text (`dl predict --text`). */
export function textPresetNames(): string[] {
  return Object.values(PRESETS)
    .filter((preset) => preset.text !== undefined)
    .map((preset) => preset.name);
}

export class UnknownPresetError extends Error {
  constructor(readonly presetName: string) {
    super(`unknown preset '${presetName}'; valid presets: ${presetNames().join(', ')}`);
    this.name = 'UnknownPresetError';
  }
}
