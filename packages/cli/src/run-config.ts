/**
 * `run.json`: a run's settings, written when the run starts so that `dl train --resume` continues with the same
 * ones. Read back as untrusted input: every field is checked, and each bad one named, before anything trains.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from './usage-error.js';
import { writeJson } from './write-json.js';

export const RUN_JSON = 'run.json';

export interface RunConfig {
  preset: string;
  epochs: number;
  batchSize: number;
  /** `--learning-rate`: the preset's schedule peaks here instead of at its default. */
  learningRate?: number;
  limit?: number;
  seed?: number;
  dataDir?: string;
  /** `--dp`: differentially private training (DP-SGD) with these settings. */
  dp?: DpRunConfig;
}

/**
 * A DP run's privacy settings. `noiseMultiplier` and `delta` are filled in once the dataset size is known (σ
 * calibrated to `targetEpsilon` when that was asked for), and then never change: `--resume` continues with them.
 */
export interface DpRunConfig {
  l2NormClip: number;
  targetEpsilon?: number;
  noiseMultiplier?: number;
  delta?: number;
}

export function writeRunConfig(dir: string, config: RunConfig): Promise<void> {
  return writeJson(join(dir, RUN_JSON), config);
}

/** `dir/run.json`, checked field by field against what `dl train` writes; a UsageError naming every bad field. */
export async function readRunConfig(dir: string): Promise<RunConfig> {
  const path = join(dir, RUN_JSON);
  if (!existsSync(path)) throw new UsageError(`${path} not found: --resume takes a run folder written by \`dl train\` (e.g. runs/cnn-…)`);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new UsageError(
      `${path}: not valid JSON (${(err as Error).message}); the run cannot be resumed. Restore the file, or start a new run`,
    );
  }
  return checkRunConfig(json, path);
}

/** What a field of run.json must be, as a check returning the problem (undefined when fine). */
const FIELDS: Record<keyof RunConfig, { required: boolean; check(value: unknown): string | undefined }> = {
  preset: { required: true, check: (v) => (typeof v === 'string' && v !== '' ? undefined : 'must be a preset name (see `dl list`)') },
  epochs: { required: true, check: (v) => wholeNumber(v, 1) },
  batchSize: { required: true, check: (v) => wholeNumber(v, 1) },
  learningRate: {
    required: false,
    check: (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? undefined : 'must be a number > 0'),
  },
  limit: { required: false, check: (v) => wholeNumber(v, 1) },
  seed: { required: false, check: (v) => wholeNumber(v, 0) },
  dataDir: { required: false, check: (v) => (typeof v === 'string' && v !== '' ? undefined : 'must be a folder path') },
  dp: { required: false, check: checkDp },
};

function checkDp(value: unknown): string | undefined {
  const bad = 'must be {"l2NormClip": C > 0, "noiseMultiplier"?: σ ≥ 0, "targetEpsilon"?: ε > 0, "delta"?: 0 < δ < 1}';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad;
  const v = value as Record<string, unknown>;
  const number = (x: unknown, ok: (n: number) => boolean) => typeof x === 'number' && Number.isFinite(x) && ok(x);
  if (!number(v.l2NormClip, (n) => n > 0)) return bad;
  if (v.noiseMultiplier !== undefined && !number(v.noiseMultiplier, (n) => n >= 0)) return bad;
  if (v.targetEpsilon !== undefined && !number(v.targetEpsilon, (n) => n > 0)) return bad;
  if (v.delta !== undefined && !number(v.delta, (n) => n > 0 && n < 1)) return bad;
  if (v.noiseMultiplier === undefined && v.targetEpsilon === undefined) return bad;
  return undefined;
}

export function checkRunConfig(json: unknown, path: string): RunConfig {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UsageError(
      `${path}: not a run's settings (expected a JSON object such as {"preset": "cnn", "epochs": 5, "batchSize": 64}); the run cannot be resumed`,
    );
  }
  const record = json as Record<string, unknown>;
  const problems: string[] = [];
  for (const [name, field] of Object.entries(FIELDS)) {
    const value = record[name];
    if (value === undefined) {
      if (field.required) problems.push(`"${name}" is missing`);
      continue;
    }
    const problem = field.check(value);
    if (problem !== undefined) problems.push(`"${name}" ${problem}, found ${JSON.stringify(value)}`);
  }
  if (problems.length > 0) {
    throw new UsageError(
      `${path}: ${problems.join('; ')}. Fix ${problems.length === 1 ? 'it' : 'them'} (dl train wrote valid values), or start a new run`,
    );
  }
  const config: RunConfig = { preset: record.preset as string, epochs: record.epochs as number, batchSize: record.batchSize as number };
  for (const name of ['learningRate', 'limit', 'seed', 'dataDir', 'dp'] as const) {
    if (record[name] !== undefined) (config as unknown as Record<string, unknown>)[name] = record[name];
  }
  return config;
}

function wholeNumber(value: unknown, min: number): string | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min ? undefined : `must be a whole number ≥ ${min}`;
}
