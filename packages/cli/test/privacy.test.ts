// `dl privacy`: ε like TensorFlow Privacy's compute_dp_sgd_privacy, calibration, and usage errors (exit 2).
import { describe, expect, it } from 'vitest';
import { STACK_LINE, dlIn, tempFolderForFile } from './run-dl.js';

let root: string;
const dl = dlIn(() => root);
tempFolderForFile((dir) => {
  root = dir;
});
const MNIST = ['--dataset-size', '60000', '--batch-size', '256', '--epochs', '60', '--delta', '1e-5'];

describe('dl privacy', () => {
  it('prints ε of the TensorFlow Privacy tutorial settings (classic conversion: their 3.01)', async () => {
    const r = await dl('privacy', ...MNIST, '--noise-multiplier', '1.1', '--conversion', 'classic');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ε = 3.009');
    expect(r.stdout).toContain('14063 steps');
    const improved = JSON.parse((await dl('privacy', ...MNIST, '--noise-multiplier', '1.1', '--json')).stdout);
    expect(improved).toMatchObject({ steps: 14063, delta: 1e-5, conversion: 'improved' });
    expect(improved.epsilon).toBeCloseTo(2.597, 3);
  });

  it('--target-epsilon prints the noise multiplier that reaches it', async () => {
    const r = JSON.parse((await dl('privacy', ...MNIST, '--target-epsilon', '3', '--json')).stdout);
    expect(r.epsilon).toBeLessThanOrEqual(3);
    expect(r.epsilon).toBeGreaterThan(2.99);
    expect(r.noiseMultiplier).toBeGreaterThan(1);
    expect(r.noiseMultiplier).toBeLessThan(1.1);
  });

  it('bad input: exit 2 with the reason, no stack trace', async () => {
    for (const args of [
      [...MNIST],
      [...MNIST, '--noise-multiplier', '1', '--target-epsilon', '2'],
      ['--dataset-size', '10', '--batch-size', '20', '--epochs', '1', '--noise-multiplier', '1'],
      [...MNIST, '--noise-multiplier', '-1'],
    ]) {
      const r = await dl('privacy', ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/noise-multiplier|batch-size|expected a number/);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
  });
});
