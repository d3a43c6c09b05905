/**
 * Exactly what the native setup builds from, so every install of one dl version runs the same kernels: tfjs-node's
 * published package (its JavaScript and the addon's C++ sources, fetched through npm) and the TensorFlow C library
 * inside one tensorflow-cpu wheel. Both are checked against these digests before anything is built from them.
 */
import { basename } from 'node:path';

/** tfjs-node as published on npm; `integrity` is the registry's `dist.integrity` of the tarball. */
export const TFJS_NODE = {
  name: '@tensorflow/tfjs-node',
  version: '4.22.0',
  integrity: 'sha512-uHrXeUlfgkMxTZqHkESSV7zSdKdV0LlsBeblqkuKU9nnfxB1pC6DtoyYVaLxznzZy7WQSegjcohxxCjAf6Dc7w==',
  /** The highest Node-API version its addon builds for (`binary.napi_versions` in its package.json). */
  maxNapiVersion: 8,
} as const;

/**
 * The wheel whose `libtensorflow_cc.so.2` the addon links against. The C library does not depend on the Python
 * version, so one cp311 wheel serves every machine; pip is asked for exactly this file whatever Python it runs on.
 */
export const TENSORFLOW_WHEEL = {
  version: '2.21.0',
  file: 'tensorflow_cpu-2.21.0-cp311-cp311-manylinux_2_27_x86_64.whl',
  sha256: '2b847d217b02ee7731ed91431daf3250daa0196c3c94614d23be27232e6e5b6c',
  pip: ['--platform', 'manylinux_2_27_x86_64', '--python-version', '3.11', '--implementation', 'cp', '--abi', 'cp311'],
} as const;

/** The TensorFlow version the addon is built against: the pinned one, or that of the wheel `DL_TF_WHEEL` names. */
export function tensorflowVersion(): string {
  const given = process.env['DL_TF_WHEEL'];
  if (!given) return TENSORFLOW_WHEEL.version;
  const version = /^tensorflow(?:_cpu)?-([^-]+)-/.exec(basename(given))?.[1];
  if (!version) throw new Error(`DL_TF_WHEEL=${given}: not a tensorflow-cpu wheel name (tensorflow_cpu-<version>-….whl)`);
  return version;
}
