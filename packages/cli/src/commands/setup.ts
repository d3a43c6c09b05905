import { setupNative } from '@dl/native/setup';

/** `dl setup`: what the install does — build (or take from the cache) dl's patched tfjs-node and check it. */
export async function setup(options: { json?: boolean }): Promise<void> {
  const result = await setupNative();
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = result.ok ? 0 : 1;
}
