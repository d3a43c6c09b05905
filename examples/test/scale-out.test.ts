// examples/scale-out.ts, the README's scale-out path, end to end on a small slice: dl trains and exports a model, two
// TensorFlow workers on localhost train it data-parallel (MultiWorkerMirroredStrategy), dl imports it back. Needs the
// bench's venv (bench/.venv, which `pnpm test` makes: scripts/ensure-keras-venv.ts); skipped with one line without it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const EXAMPLES = join(dirname(fileURLToPath(import.meta.url)), '..');
const READY = existsSync(join(EXAMPLES, '..', 'bench', '.venv', '.dl-bench-ready'));
if (!READY) console.log('scale-out example: skipped, no bench/.venv (make it with `npx tsx scripts/ensure-keras-venv.ts`)');

it.skipIf(!READY)(
  "scale-out.ts: two TensorFlow workers train dl's export in sync, and dl's import predicts what they predict",
  { timeout: 300_000 },
  async () => {
    const tsx = join(EXAMPLES, 'node_modules', '.bin', 'tsx');
    const args = ['scale-out.ts', '--samples', '1024', '--epochs', '1', '--json'];
    const { stdout } = await promisify(execFile)(tsx, args, { cwd: EXAMPLES, timeout: 300_000 });
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, number>;
    console.log(`scale-out: ${JSON.stringify(result)}`);
    expect(result.workersMaxAbsDiff).toBeLessThan(1e-5); // the two workers hold the same weights
    expect(result.maxAbsDiffToWorkers).toBeLessThan(1e-5); // dl's import predicts what Keras predicted
    expect(result.accuracy).toBeGreaterThan(result.chance!);
  },
);
