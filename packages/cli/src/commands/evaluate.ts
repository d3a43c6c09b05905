import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel } from '@dl/core';
import { isGanSave } from '@dl/models';
import { makeOutput } from '../output.js';
import { UsageError } from '../usage-error.js';
import { resolvePreset } from './resolve-preset.js';
import { formatMetrics } from './train.js';

export interface EvaluateCommandOptions {
  dataDir?: string;
  json?: boolean;
  quiet?: boolean;
}

/** `dl evaluate DIR`: reloads a saved model and evaluates it on its dataset's test split. */
export async function evaluate(dir: string, options: EvaluateCommandOptions): Promise<void> {
  const modelDir = resolve(dir);
  if (isGanSave(modelDir)) return (await import('./evaluate-gan.js')).evaluateGan(modelDir, options);
  if (!existsSync(join(modelDir, 'model.json'))) {
    throw new UsageError(`${join(modelDir, 'model.json')} not found: DIR must be a folder written by \`dl train\` (e.g. runs/cnn-…)`);
  }
  const out = makeOutput(options);
  const model = await loadModel(modelDir);
  const presetName = model.metadata?.preset;
  if (typeof presetName !== 'string')
    throw new UsageError(`${join(modelDir, 'model.json')} does not say which preset built it: was it saved by \`dl train\`?`);
  const preset = resolvePreset(presetName);
  model.compile(preset.compileOptions());
  const data = await preset.loadData({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    log: out.datasetLog,
  });
  const metrics = await model.evaluate(data.test.x, data.test.y, { batchSize: 256 });
  out.info(`Test ${formatMetrics(metrics)} (${data.test.x.shape[0]} samples, ${preset.name} from ${modelDir})`);
  out.json(metrics);
}
