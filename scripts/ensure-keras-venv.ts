// Run by `pnpm test` before vitest: makes sure the Keras interop test (packages/core/test/keras-live.test.ts) has
// Keras 3, in bench/.venv, made from the machine's pip index as the bench makes it (bench/lib/venv.ts). Ready → nothing
// to do. Cannot be made (no python3, no reachable index) → one line saying what to install, and the test skips
// itself; with CI set, that fails the run instead.
import { resolve } from 'node:path';
import { ensureVenv, VENV_COMMAND } from '../bench/lib/venv.js';

try {
  ensureVenv(resolve(import.meta.dirname, '..'), (line) => console.log(line));
} catch (error) {
  const message = `Keras 3 is missing for the Keras interop test (${(error as Error).message.split('\n')[0]}); make it with: ${VENV_COMMAND}`;
  if (process.env['CI']) {
    console.error(`error: ${message}`);
    process.exit(1);
  }
  console.log(`Keras interop test will be skipped: ${message}`);
}
