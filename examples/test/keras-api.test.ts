// The README's API section is taken from examples/keras-api.ts: running it keeps every snippet working.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..');

it('examples/keras-api.ts runs to the end on the built packages', async () => {
  const tsx = join(EXAMPLES, 'node_modules', '.bin', 'tsx');
  const { stdout } = await promisify(execFile)(tsx, ['keras-api.ts'], { cwd: EXAMPLES, timeout: 120_000 });
  expect(stdout).toContain("multi-output logs: [ 'loss', 'cls_loss', 'score_loss', 'cls_accuracy', 'score_accuracy' ]");
  expect(stdout).toMatch(/Total params: 178/);
  expect(stdout).toMatch(/evaluate: \{ loss: [\d.]+, accuracy: 0\.9\d+ \}/);
  expect(stdout).toContain('done; files in');
});
