import { join, resolve } from 'node:path';
import { ProgbarLogger, setSeed } from '@dl/core';
import { makeOutput } from '../output.js';
import { writeJson } from '../write-json.js';
import { resolvePreset } from './resolve-preset.js';

export interface TrainCommandOptions {
  epochs?: number;
  batchSize?: number;
  limit?: number;
  seed?: number;
  out?: string;
  dataDir?: string;
  json?: boolean;
  quiet?: boolean;
}

/** `dl train <preset>`: trains on the train split, evaluates on the test split, saves model, history and metrics. */
export async function train(presetName: string, options: TrainCommandOptions): Promise<void> {
  const preset = resolvePreset(presetName);
  const out = makeOutput(options);
  if (options.seed !== undefined) setSeed(options.seed);
  const epochs = options.epochs ?? preset.defaults.epochs;
  const batchSize = options.batchSize ?? preset.defaults.batchSize;
  const outDir = resolve(options.out ?? join('runs', `${preset.name}-${timestamp()}`));

  const data = await preset.loadData({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    log: out.progressStream ? (line) => out.progressStream!.write(`${line}\n`) : false,
  });
  const model = preset.build();
  const samples = data.train.x.shape[0]!;
  out.info(`Training '${preset.name}' on ${samples} samples for ${epochs} epochs (batch size ${batchSize})`);
  const callbacks = [...preset.callbacks({ epochs })];
  if (out.progressStream) callbacks.push(new ProgbarLogger({ stream: out.progressStream }));
  const history = await model.fit(data.train.x, data.train.y, { epochs, batchSize, callbacks, verbose: out.progressStream ? 1 : 0 });

  const metrics = model.evaluate(data.test.x, data.test.y, { batchSize: 256 });
  await model.save(outDir, { metadata: { preset: preset.name, dataset: preset.dataset } });
  await writeJson(join(outDir, 'history.json'), history.toJSON());
  await writeJson(join(outDir, 'metrics.json'), metrics);

  const seconds = history.epochSeconds.reduce((a, b) => a + b, 0);
  const samplesPerSecond = (samples * history.epochSeconds.length) / seconds;
  out.info(`Test ${formatMetrics(metrics)} (${data.test.x.shape[0]} samples)`);
  out.info(`Trained in ${seconds.toFixed(1)} s (${Math.round(samplesPerSecond)} samples/s); saved to ${outDir}`);
  out.json({ preset: preset.name, out: outDir, ...metrics, epochs: history.epoch.length, trainSeconds: seconds, samplesPerSecond });
}

export function formatMetrics(metrics: Record<string, number>): string {
  return Object.entries(metrics)
    .map(([k, v]) => `${k}: ${v.toFixed(4)}`)
    .join(' - ');
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
}
