// `dl train <preset> --dp`: the run records ε, δ, σ, q and steps; ε is the accountant's for the steps taken, also
// across --resume; `dl evaluate` shows them and runs the membership attack; DP flags misused exit 2.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { computeDpSgdEpsilon } from '@dl/core/privacy';
import { STACK_LINE, dlIn, lastJsonLine, readJson, tempFolderForFile, writeRealMnistSlice } from './run-dl.js';

let root: string;
let dataDir: string;
const dl = dlIn(() => root);
tempFolderForFile(async (dir) => {
  root = dir;
  dataDir = join(root, 'mnist-slice');
  await writeRealMnistSlice(dataDir, { train: 600, test: 200 });
});
const dpArgs = (out: string, ...extra: string[]) => [
  'train',
  'cnn',
  '--dp',
  '--batch-size',
  '100',
  '--data-dir',
  dataDir,
  '--out',
  out,
  '--seed',
  '1',
  '--quiet',
  ...extra,
];

describe('dl train --dp', () => {
  it('records the privacy spent, and dl evaluate shows it and the membership attack', async () => {
    const out = join(root, 'dp-run');
    const r = await dl(...dpArgs(out, '--epochs', '2', '--noise-multiplier', '1.2', '--clip', '0.5'));
    expect(r.code, r.stderr).toBe(0);
    const run = await readJson(join(out, 'run.json'));
    expect(run.dp).toEqual({ l2NormClip: 0.5, noiseMultiplier: 1.2, delta: 0.001 });
    const privacy = (await readJson(join(out, 'metrics.json'))).privacy as Record<string, number>;
    // Poisson sampling: ⌈600 / 100⌉ = 6 steps an epoch, q = 1/6; δ = the largest power of ten ≤ 1/600.
    expect(privacy).toMatchObject({
      steps: 12,
      samplingRate: 100 / 600,
      noiseMultiplier: 1.2,
      delta: 0.001,
      l2NormClip: 0.5,
      sampling: 'poisson',
    });
    expect(privacy.epsilon).toBe(computeDpSgdEpsilon({ samplingRate: 100 / 600, noiseMultiplier: 1.2, steps: 12, delta: 0.001 }).epsilon);

    const e = await dl('evaluate', out, '--data-dir', dataDir, '--membership-inference', '--json');
    expect(e.code, e.stderr).toBe(0);
    const shown = lastJsonLine(e.stdout) as { privacy: { epsilon: number }; membershipInference: { auc: number; members: number } };
    expect(shown.privacy.epsilon).toBe(privacy.epsilon);
    expect(shown.membershipInference.members).toBe(200);
    expect(shown.membershipInference.auc).toBeGreaterThanOrEqual(0);
    expect(shown.membershipInference.auc).toBeLessThanOrEqual(1);
  });

  it('--resume keeps the calibrated noise and accounts for every step of both runs', async () => {
    const out = join(root, 'dp-resumed');
    expect((await dl(...dpArgs(out, '--epochs', '1', '--target-epsilon', '4'))).code).toBe(0);
    const first = await readJson(join(out, 'run.json'));
    const sigma = (first.dp as { noiseMultiplier: number }).noiseMultiplier;
    const firstPrivacy = (await readJson(join(out, 'metrics.json'))).privacy as Record<string, number>;
    expect(firstPrivacy.steps).toBe(6);
    expect(firstPrivacy.epsilon).toBeLessThanOrEqual(4);
    expect(firstPrivacy.epsilon).toBeGreaterThan(3.99);

    const r = await dl('train', '--resume', out, '--epochs', '3', '--data-dir', dataDir, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    expect(((await readJson(join(out, 'run.json'))).dp as { noiseMultiplier: number }).noiseMultiplier).toBe(sigma);
    const privacy = (await readJson(join(out, 'metrics.json'))).privacy as Record<string, number>;
    expect(privacy.steps).toBe(18);
    expect(privacy.epsilon).toBe(computeDpSgdEpsilon({ samplingRate: 1 / 6, noiseMultiplier: sigma, steps: 18, delta: 0.001 }).epsilon);
    expect(privacy.epsilon).toBeGreaterThan(4); // three times the steps the noise was calibrated for
  });

  it('misused DP flags exit 2 with the reason', async () => {
    for (const [args, message] of [
      [['train', 'cnn', '--clip', '1'], /--clip only apply with --dp/],
      [['train', 'cnn', '--dp', '--target-epsilon', '1', '--noise-multiplier', '1'], /not both/],
      [['train', 'gan', '--dp'], /no DP recipe/],
      [['train', '--resume', join(root, 'dp-run'), '--dp'], /privacy settings in its run.json/],
    ] as const) {
      const r = await dl(...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
  });
});
