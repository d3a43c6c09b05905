import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { float32WeightsSha256, type Model } from '@dl/core';
import {
  type DlModelJson,
  EXPORT_VOCABULARY_JSON,
  loadExport,
  loadSourceModel,
  loadVocabulary,
  type Preset,
  type PresetData,
} from '@dl/models';
import { makeOutput, type Output } from '../output.js';
import { assertMnistGenerator, type EvaluateGanOptions, mnistGeneratorScorer, printGanScores } from './evaluate-gan.js';
import { formatMetrics } from './train.js';

/**
 * `dl evaluate OUT` of a folder written by `dl export`: the exported model (weights dequantized as TF.js loads them)
 * on its dataset's test split, or for a GAN generator the Inception Score and Fréchet distance of its samples. For a
 * quantized export, the float32 model it came from (dl-model.json's `source`) is evaluated on the same data too, and
 * the change is printed: measured, when the source run still holds the weights the export was made from (checked by
 * their SHA-256), else said to be unmeasured and why.
 */
export async function evaluateExport(dir: string, options: EvaluateGanOptions): Promise<void> {
  const out = makeOutput(options);
  const exported = await loadExport(dir);
  const { meta, model, preset } = exported;
  if (meta.kind === 'gan-generator') return evaluateGeneratorExport(exported.dir, meta, model, options, out);
  model.compile(preset.compileOptions());
  const data = await preset.loadData({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    // A text export is evaluated with the vocabulary exported beside it: a DP run's may differ from the preset's.
    ...(preset.text && existsSync(join(exported.dir, EXPORT_VOCABULARY_JSON)) ? { vocabulary: await loadVocabulary(exported.dir) } : {}),
    log: out.datasetLog,
  });
  const metrics = await model.evaluate(data.test.x, data.test.y, { batchSize: 256 });
  const samples = data.test.x.shape[0]!;
  out.info(`Test ${formatMetrics(metrics)} (${samples} samples, the ${meta.quantization} export of ${preset.name} in ${exported.dir})`);
  if (meta.quantization === 'float32') {
    out.json({ ...metrics, quantization: meta.quantization });
    return;
  }
  const source = await loadFloat32Source(meta);
  if ('reason' in source) {
    out.info(`What the ${meta.quantization} quantization costs was not measured: ${source.reason}`);
    out.json({ ...metrics, quantization: meta.quantization, float32: null, notMeasured: source.reason });
    return;
  }
  const float32 = await evaluateSource(source.model, preset, data);
  const change = (metrics['accuracy'] ?? Number.NaN) - (float32['accuracy'] ?? Number.NaN);
  out.info(`Float32 source ${meta.source.dir}: test ${formatMetrics(float32)}`);
  out.info(
    `Accuracy change of the ${meta.quantization} quantization: ${signed(change, 5)} (${signed(Math.round(change * samples), 0)} of ${samples} test samples)`,
  );
  out.json({ ...metrics, quantization: meta.quantization, float32, accuracyChange: change });
}

async function evaluateSource(model: Model, preset: Preset, data: PresetData): Promise<Record<string, number>> {
  try {
    model.compile(preset.compileOptions());
    return await model.evaluate(data.test.x, data.test.y, { batchSize: 256 });
  } finally {
    model.net.dispose();
  }
}

async function evaluateGeneratorExport(
  dir: string,
  meta: DlModelJson,
  model: Model,
  options: EvaluateGanOptions,
  out: Output,
): Promise<void> {
  assertMnistGenerator(model, dir);
  const scorer = await mnistGeneratorScorer(options, out);
  const result = scorer.score(model, dir);
  printGanScores(result, out, `${meta.quantization} export`);
  let float32: typeof result | null = null;
  let notMeasured: string | undefined;
  if (meta.quantization !== 'float32') {
    const source = await loadFloat32Source(meta);
    if ('reason' in source) {
      notMeasured = source.reason;
      out.info(`What the ${meta.quantization} quantization costs was not measured: ${source.reason}`);
    } else {
      try {
        float32 = scorer.score(source.model, meta.source.dir);
      } finally {
        source.model.net.dispose();
      }
      printGanScores(float32, out, 'float32 source');
      out.info(
        `Inception Score change of the ${meta.quantization} quantization: ${signed(result.generated.inceptionScore - float32.generated.inceptionScore, 3)}, ` +
          `Fréchet distance change: ${signed(result.generated.frechetDistance - float32.generated.frechetDistance, 3)} (same latent vectors)`,
      );
    }
  }
  out.info(`Generator: ${dir}`);
  out.info(scorer.about(result));
  out.json({ ...result, quantization: meta.quantization, float32, ...(notMeasured ? { notMeasured } : {}), generator: dir });
}

/** The float32 model a quantized export came from, or why it cannot be had. */
async function loadFloat32Source(meta: DlModelJson): Promise<{ model: Model } | { reason: string }> {
  const dir = meta.source?.dir;
  if (typeof dir !== 'string' || !existsSync(dir)) return { reason: `its source run folder ${dir} is gone` };
  let model: Model;
  try {
    model = (await loadSourceModel(dir)).model;
  } catch (err) {
    return { reason: `its source run folder cannot be loaded (${(err as Error).message})` };
  }
  if ((await float32WeightsSha256(model)) !== meta.source.float32Sha256) {
    model.net.dispose();
    return { reason: `the weights in its source run folder ${dir} changed since the export (trained on?)` };
  }
  return { model };
}

function signed(value: number, digits = 4): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
}
