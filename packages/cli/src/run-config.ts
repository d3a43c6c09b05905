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
};

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
  for (const name of ['learningRate', 'limit', 'seed', 'dataDir'] as const) {
    if (record[name] !== undefined) (config as unknown as Record<string, unknown>)[name] = record[name];
  }
  return config;
}

function wholeNumber(value: unknown, min: number): string | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= min ? undefined : `must be a whole number ≥ ${min}`;
}
