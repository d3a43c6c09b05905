/**
 * The one place that loads TensorFlow.js and chooses its backend: TensorFlow's native C++ kernels through
 * @tensorflow/tfjs-node when its addon loads, else the pure-JS `cpu` backend with a loud warning (about 700× slower).
 * `DL_REQUIRE_NATIVE=1` turns the fallback into an error, so tests and benchmarks never run on it by accident.
 */
import { createRequire } from 'node:module';
import type * as tfjs from '@tensorflow/tfjs';

export type Tf = typeof tfjs;

/** What runs, as `dl info` reports it. */
export interface BackendInfo {
  backend: 'tensorflow' | 'cpu';
  /** Version of the TensorFlow C library behind the native backend. */
  tensorflowVersion: string | null;
  tfjsVersion: string;
  /** Why the native backend is not running, when it is not. */
  reason?: string;
}

const require = createRequire(import.meta.url);

function load(): { tf: Tf; info: BackendInfo } {
  // TensorFlow's C++ start-up chatter (CPU feature notices) is noise for our users.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '2';
  try {
    const tf = require('@tensorflow/tfjs-node') as Tf;
    const binding = (tf.backend() as unknown as { binding: { TF_Version: string } }).binding;
    return { tf, info: { backend: 'tensorflow', tensorflowVersion: binding.TF_Version, tfjsVersion: tf.version_core } };
  } catch (err) {
    const reason = `@tensorflow/tfjs-node did not load: ${firstLine(err)}`;
    if (process.env.DL_REQUIRE_NATIVE === '1') {
      throw new Error(`${reason}\nDL_REQUIRE_NATIVE=1 forbids the pure-JS fallback. Run \`pnpm run setup-native\` to build the native addon.`);
    }
    const tf = require('@tensorflow/tfjs') as Tf;
    tf.setBackend('cpu');
    process.stderr.write(
      '\n*** WARNING: dl is running on the pure-JS "cpu" backend, about 700x slower than TensorFlow\'s native kernels. ***\n' +
        `*** ${reason}\n*** Fix: run \`pnpm run setup-native\` (see README, "Native kernels"). ***\n\n`,
    );
    return { tf, info: { backend: 'cpu', tensorflowVersion: null, tfjsVersion: tf.version_core, reason } };
  }
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0] ?? '';
}

const loaded = load();

/** TensorFlow.js, on the backend chosen above. Everything in dl uses this instance. */
export const tf: Tf = loaded.tf;

export function backendInfo(): BackendInfo {
  return { ...loaded.info };
}
