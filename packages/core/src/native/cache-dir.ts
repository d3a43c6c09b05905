import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where a built tfjs-node addon and its TensorFlow library are kept between installs (`DL_NATIVE_CACHE` overrides),
 * so a second clone on the same machine links them in within a second instead of rebuilding.
 * Keyed by tfjs-node version, platform and a hash of the addon's C++ sources (our patch of them, patches/, changes
 * it); the addon uses Node-API, so any Node version of the same ABI reuses it.
 */
export function nativeCacheDir(tfjsNodeDir: string): string {
  if (process.env.DL_NATIVE_CACHE) return process.env.DL_NATIVE_CACHE;
  const { version } = JSON.parse(readFileSync(join(tfjsNodeDir, 'package.json'), 'utf8')) as { version: string };
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base, 'dl', 'native', `tfjs-node-${version}-${process.platform}-${process.arch}-${bindingSourceHash(tfjsNodeDir)}`);
}

/** The first 12 hex digits of a SHA-256 over the addon's sources (`binding/` and `binding.gyp`), in name order. */
function bindingSourceHash(tfjsNodeDir: string): string {
  const hash = createHash('sha256');
  const binding = join(tfjsNodeDir, 'binding');
  for (const file of [...readdirSync(binding).sort().map((f) => join(binding, f)), join(tfjsNodeDir, 'binding.gyp')]) {
    hash.update(file.slice(tfjsNodeDir.length)).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 12);
}
