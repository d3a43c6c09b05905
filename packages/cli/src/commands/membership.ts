/**
 * `dl evaluate DIR --membership-inference`: how much the model gives away about which examples it trained on, by the
 * loss-threshold attack (@dl/core's lossThresholdAttack) on training members vs test non-members, equal numbers of
 * each; and the privacy a DP run recorded.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getLoss, lossThresholdAttack, type MembershipAttackResult, type Model, type ShapedArray, tf } from '@dl/core';
import type { Preset, PresetData } from '@dl/models';
import { readRunConfig, RUN_JSON } from '../run-config.js';
import { METRICS_JSON } from '../run-folder.js';

/** At most this many members and as many non-members are scored (the first of each split). */
const MAX_EXAMPLES = 10_000;

/** metrics.json's `privacy` of a DP run in `dir`, or undefined for other folders. */
export async function readRunPrivacy(dir: string): Promise<Record<string, unknown> | undefined> {
  const path = join(dir, METRICS_JSON);
  if (!existsSync(path)) return undefined;
  try {
    const privacy = (JSON.parse(await readFile(path, 'utf8')) as { privacy?: unknown }).privacy;
    return typeof privacy === 'object' && privacy !== null ? (privacy as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function membershipInference(model: Model, preset: Preset, dir: string, data: PresetData): Promise<MembershipAttackResult> {
  // The members are what the run trained on: its first `limit` training examples when it had --limit.
  const limit = existsSync(join(dir, RUN_JSON)) ? (await readRunConfig(dir)).limit : undefined;
  const trainCount = Math.min(data.train.x.shape[0]!, limit ?? Number.POSITIVE_INFINITY);
  const n = Math.min(trainCount, data.test.x.shape[0]!, MAX_EXAMPLES);
  const loss = preset.compileOptions().loss;
  if (typeof loss !== 'string') throw new Error(`preset '${preset.name}' has no named loss to score examples with`);
  const lossFn = getLoss(loss as Parameters<typeof getLoss>[0]);
  const losses = (split: { x: ShapedArray; y: ShapedArray }) =>
    tf.tidy(() => {
      const x = first(split.x, n);
      const y = first(split.y, n);
      const predicted = model.predict(x, { batchSize: 256 });
      return lossFn(tf.tensor(y.data as Float32Array, y.shape), predicted).dataSync() as Float32Array;
    });
  return lossThresholdAttack(losses(data.train), losses(data.test));
}

/** The first `n` rows of a shaped array (no copy). */
function first(a: ShapedArray, n: number): ShapedArray {
  const row = a.shape.slice(1).reduce((p, d) => p * d, 1);
  const data = a.data as Float32Array;
  return { data: data.subarray(0, n * row), shape: [n, ...a.shape.slice(1)] };
}
