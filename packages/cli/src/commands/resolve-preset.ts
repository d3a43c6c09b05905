import { getPreset, UnknownPresetError, type Preset } from '@dl/models';
import { UsageError } from '../usage-error.js';

/** The preset named on the command line; an unknown name is a usage error listing the valid ones. */
export function resolvePreset(name: string): Preset {
  try {
    return getPreset(name);
  } catch (err) {
    if (err instanceof UnknownPresetError) throw new UsageError(`${err.message} (see \`dl list\`)`);
    throw err;
  }
}
