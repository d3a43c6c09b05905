// examples/keras-import.ts, which the README's "Keras models (.keras)" section shows, runs and predicts.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..');

it('examples/keras-import.ts loads the Keras 3 CNN and predicts 2 samples of 3 classes', async () => {
  const tsx = join(EXAMPLES, 'node_modules', '.bin', 'tsx');
  const { stdout } = await promisify(execFile)(tsx, ['keras-import.ts'], { cwd: EXAMPLES, timeout: 120_000 });
  expect(stdout).toMatch(/Total params: \d+/);
  const line = stdout.split('\n').find((l) => l.startsWith('predictions [2,3]:'));
  expect(line).toBeDefined();
  // Softmax outputs: each sample's three probabilities sum to 1.
  const values = (line!.match(/-?\d+\.\d+|\d+/g) ?? []).slice(2).map(Number);
  expect(values).toHaveLength(6);
  expect(values[0]! + values[1]! + values[2]!).toBeCloseTo(1, 3);
});
