import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { loadModel, type Model, tf } from '@dl/core';
import { isGanSave, loadVocabulary, readExportMeta, VOCABULARY_JSON } from '@dl/models';
import { makeOutput } from '../output.js';
import { UsageError } from '../usage-error.js';
import { resolvePreset } from './resolve-preset.js';
import { formatMetrics, formatPrivacy } from './train.js';
import { membershipInference, readRunPrivacy } from './membership.js';

export interface EvaluateCommandOptions {
  dataDir?: string;
  json?: boolean;
  quiet?: boolean;
  /** Also run the loss-threshold membership-inference attack: training members vs test non-members. */
  membershipInference?: boolean;
}

/** `dl evaluate DIR`: reloads a saved model and evaluates it on its dataset's test split. */
export async function evaluate(dir: string, options: EvaluateCommandOptions): Promise<void> {
  const modelDir = resolve(dir);
  if ((await readExportMeta(modelDir)) !== undefined) return (await import('./evaluate-export.js')).evaluateExport(modelDir, options);
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
  await assertFiniteWeights(model, modelDir);
  model.compile(preset.compileOptions());
  const data = await preset.loadData({
    ...(options.dataDir !== undefined ? { dataDir: options.dataDir } : {}),
    // A text model is evaluated with its own vocabulary: a DP run's may differ from the preset's.
    ...(preset.text && existsSync(join(modelDir, VOCABULARY_JSON)) ? { vocabulary: await loadVocabulary(modelDir) } : {}),
    log: out.datasetLog,
  });
  const metrics: Record<string, unknown> = await model.evaluate(data.test.x, data.test.y, { batchSize: 256 });
  out.info(`Test ${formatMetrics(metrics)} (${data.test.x.shape[0]} samples, ${preset.name} from ${modelDir})`);
  // A DP run: the privacy its training recorded.
  const privacy = await readRunPrivacy(modelDir);
  if (privacy) {
    metrics.privacy = privacy;
    out.info(formatPrivacy(privacy));
  }
  if (options.membershipInference) {
    const attack = await membershipInference(model, preset, modelDir, data);
    metrics.membershipInference = attack;
    out.info(
      `Membership inference (loss threshold, ${attack.members} training members vs ${attack.nonMembers} test non-members): ` +
        `AUC ${attack.auc.toFixed(4)}, advantage ${attack.advantage.toFixed(4)} (0.5 and 0: no better than guessing)`,
    );
  }
  out.json(metrics);
}

/**
 * NaN or infinite weights (a diverged training saved anyway) evaluate to a NaN loss and a chance accuracy that exit 0
 * would present as a result: refuse them, naming the weights file and the first such weight.
 */
async function assertFiniteWeights(model: Model, modelDir: string): Promise<void> {
  for (const [i, weight] of model.net.weights.entries()) {
    const finite = tf.tidy(() => tf.all(tf.isFinite(weight.read())).dataSync()[0] === 1);
    if (finite) continue;
    const { file, name } = await savedWeight(modelDir, i, weight.name);
    throw new UsageError(
      `${file}: the model's weights are not finite (${name} holds NaN or infinity), so its metrics would mean nothing: ` +
        'the training diverged; train again with a lower --learning-rate, or from an earlier checkpoint',
    );
  }
}

/**
 * The name and weights file of the model's `index`-th weight by model.json's manifest (saved in the model's order, the
 * optimizer's after them); model.json itself and `fallbackName` when the manifest does not say.
 */
async function savedWeight(modelDir: string, index: number, fallbackName: string): Promise<{ file: string; name: string }> {
  const modelJson = join(modelDir, 'model.json');
  type Group = { paths: string[]; weights: { name: string; group?: string }[] };
  const groups = (JSON.parse(await readFile(modelJson, 'utf8')) as { weightsManifest?: Group[] }).weightsManifest ?? [];
  const entries = groups.flatMap((g) => g.weights.filter((w) => w.group !== 'optimizer').map((w) => ({ g, name: w.name })));
  const entry = entries[index];
  if (entry === undefined || entry.g.paths.length !== 1) return { file: modelJson, name: entry?.name ?? fallbackName };
  return { file: join(modelDir, entry.g.paths[0]!), name: entry.name };
}
