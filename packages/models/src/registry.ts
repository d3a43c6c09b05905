import type { Preset } from './preset.js';
import { cnn } from './presets/cnn.js';

/** Every preset by name, as `dl list` shows them. */
export const PRESETS: Readonly<Record<string, Preset>> = { cnn };

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}

/** The preset called `name`; an unknown name is an error listing the valid ones. */
export function getPreset(name: string): Preset {
  if (!Object.hasOwn(PRESETS, name)) throw new UnknownPresetError(name);
  return PRESETS[name]!;
}

export class UnknownPresetError extends Error {
  constructor(readonly presetName: string) {
    super(`unknown preset '${presetName}'; valid presets: ${presetNames().join(', ')}`);
    this.name = 'UnknownPresetError';
  }
}
