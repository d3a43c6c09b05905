import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadModel } from '@dl/core';
import { resolvePreset } from './resolve-preset.js';

/** `dl summary <preset|DIR>`: Keras's layer table for a preset's network or a saved model. */
export async function summary(target: string): Promise<void> {
  const model = existsSync(join(target, 'model.json')) ? await loadModel(target) : resolvePreset(target).build();
  model.summary((line) => process.stdout.write(`${line}\n`));
}
