/**
 * Where built addons and TensorFlow's C library are kept between installs (`DL_NATIVE_CACHE` overrides the root), so
 * a second project on the same machine links them in within a second instead of rebuilding:
 * - `tensorflow-<version>-<platform>/deps/`: the C library from the wheel (800 MB; shared by every build);
 * - `tfjs-node-<version>-<sources>-tf<version>-napi<n>-abi<n>-<platform>/tfjs-node/`: the patched package with its
 *   built addon. `<sources>` hashes the published tarball's integrity and our patch, so a changed patch rebuilds.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TFJS_NODE } from './pins.js';

export const PATCH_FILE = new URL('../patches/tfjs-node-4.22.0.patch', import.meta.url);

export function nativeCacheRoot(): string {
  if (process.env['DL_NATIVE_CACHE']) return process.env['DL_NATIVE_CACHE'];
  return join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'dl', 'native');
}

const platform = `${process.platform}-${process.arch}`;

/** The folder holding `deps/` (lib/ and include/) of TensorFlow `version`. */
export function tensorflowCacheDir(version: string): string {
  return join(nativeCacheRoot(), `tensorflow-${version}-${platform}`);
}

/** The folder holding `tfjs-node/`, the patched package built against TensorFlow `tensorflowVersion`. */
export function addonCacheDir(tensorflowVersion: string): string {
  const sources = createHash('sha256').update(TFJS_NODE.integrity).update(readFileSync(PATCH_FILE)).digest('hex').slice(0, 12);
  const abi = `napi${napiBuildVersion()}-abi${process.versions.modules}`;
  return join(nativeCacheRoot(), `tfjs-node-${TFJS_NODE.version}-${sources}-tf${tensorflowVersion}-${abi}-${platform}`);
}

/** The Node-API version node-pre-gyp builds tfjs-node's addon for here: the highest both support. */
export function napiBuildVersion(): number {
  return Math.min(TFJS_NODE.maxNapiVersion, Number(process.versions.napi));
}
