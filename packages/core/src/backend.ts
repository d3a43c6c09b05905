/**
 * The one place that loads TensorFlow.js and chooses its backend: TensorFlow's native C++ kernels through dl's own
 * build of tfjs-node (@dl/native, set up when dl is installed) when it loads, else the pure-JS `cpu` backend with a
 * loud warning (about 700× slower). `DL_REQUIRE_NATIVE=1` turns the fallback into an error, so tests and benchmarks
 * never run on it by accident.
 */
import { checkCapabilities, loadTfjsNode, setupCommand, type Capabilities, type TfjsNode } from '@dl/native';
import { createRequire } from 'node:module';
import type * as tfjsCore from '@tensorflow/tfjs-core';
import { NativeError } from './errors/native-error.js';

/**
 * TensorFlow.js's ops (tfjs-core's API: tensors, math, `tidy`, `train`, `losses`, …). At run time `tf` is the whole
 * TensorFlow.js; its type leaves out tfjs-layers, whose declarations fail a user's `tsc --strict` (layer-types.ts) —
 * dl's own `layers`, `sequential` and `model` cover what it offers.
 */
export type Tf = typeof tfjsCore;

/** What runs, as `dl info` reports it. */
export interface BackendInfo {
  backend: 'tensorflow' | 'cpu';
  /** Version of the TensorFlow C library behind the native backend. */
  tensorflowVersion: string | null;
  tfjsVersion: string;
  /** Why the native backend is not running, when it is not. */
  reason?: string;
  /** Whether training and inference steps can run as TensorFlow graph functions (the patched addon). */
  graphExecution: boolean;
  /** Why they cannot, when they cannot. */
  graphExecutionReason?: string;
}

const require = createRequire(import.meta.url);

function load(): { tf: Tf; info: Omit<BackendInfo, 'graphExecution'> } {
  try {
    const tf = loadTfjsNode<Tf>();
    const binding = (tf.backend() as unknown as { binding: { TF_Version: string } }).binding;
    return { tf, info: { backend: 'tensorflow', tensorflowVersion: binding.TF_Version, tfjsVersion: tf.version_core } };
  } catch (err) {
    const reason = `dl's tfjs-node did not load: ${firstLine(err)}`;
    if (process.env['DL_REQUIRE_NATIVE'] === '1') {
      throw new NativeError(`${reason}\nDL_REQUIRE_NATIVE=1 forbids the pure-JS fallback. Build the native addon: ${setupCommand()}`);
    }
    const tf = require('@tensorflow/tfjs') as Tf;
    tf.setBackend('cpu');
    process.stderr.write(
      '\n*** WARNING: dl is running on the pure-JS "cpu" backend, about 700x slower than TensorFlow\'s native kernels. ***\n' +
        `*** ${reason}\n*** Fix: ${setupCommand()}   (see dl's README, "Native kernels") ***\n\n`,
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

let capabilities: Capabilities | undefined;

/** What the loaded addon offers beyond plain ops (checked once, by running a tiny op of each kind). */
export function nativeCapabilities(): Capabilities | null {
  if (loaded.info.backend !== 'tensorflow') return null;
  capabilities ??= checkCapabilities(tf as unknown as TfjsNode);
  return capabilities;
}

export function backendInfo(): BackendInfo {
  const graph = nativeCapabilities()?.graphFunctions ?? { ok: false, reason: 'graph execution needs the native backend' };
  return { ...loaded.info, graphExecution: graph.ok, ...(!graph.ok && { graphExecutionReason: graph.reason }) };
}
