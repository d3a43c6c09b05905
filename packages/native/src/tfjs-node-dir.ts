/**
 * Where dl's own tfjs-node lives, and the command that (re)builds it. The setup puts the package, patched and with
 * its addon built, inside this package (`<@dl/native>/tfjs-node/`) rather than under node_modules, where a package
 * manager would prune it; its dependencies (@tensorflow/tfjs, node-pre-gyp) resolve from there as this package's own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addonCacheDir } from './cache-dir.js';
import { installBuild } from './install-build.js';
import { tensorflowVersion } from './pins.js';

/** The tfjs-node package folder dl loads: `DL_TFJS_NODE_DIR` (a tfjs-node of your own), else the one setup built. */
export function tfjsNodeDir(): string {
  return process.env['DL_TFJS_NODE_DIR'] || fileURLToPath(new URL('../tfjs-node', import.meta.url));
}

/** The exact command that runs the native setup, valid in any project that has dl installed, whatever its manager. */
export function setupCommand(): string {
  return `node ${JSON.stringify(fileURLToPath(new URL('../bin/setup.js', import.meta.url)))}`;
}

/** Where the setup leaves its reason when it could not build `dir`, for the warning at every start to repeat. */
export function setupFailureFile(dir: string): string {
  return `${dir}.setup-failed.txt`;
}

/**
 * Loads tfjs-node from `tfjsNodeDir()` (TensorFlow.js on the native 'tensorflow' backend). Throws when it is missing
 * or its addon does not load; the message says which.
 *
 * A build whose addon no longer finds TensorFlow's library is put back from the cache first (`repairedFromCache`).
 */
export function loadTfjsNode<T = unknown>(dir = tfjsNodeDir()): T {
  if (!existsSync(dir)) {
    const failure = existsSync(setupFailureFile(dir))
      ? `the setup failed: ${readFileSync(setupFailureFile(dir), 'utf8').trim()}`
      : 'the install-time setup did not run';
    throw new Error(`dl's native TensorFlow build is not installed (no ${dir}): ${failure}`);
  }
  // TensorFlow's C++ start-up chatter (CPU feature notices) is noise for dl's users.
  process.env['TF_CPP_MIN_LOG_LEVEL'] ??= '2';
  const require = createRequire(import.meta.url);
  try {
    return require(dir) as T;
  } catch (err) {
    if (!repairedFromCache(dir, err)) throw err;
    return require(dir) as T;
  }
}

/**
 * The addon finds TensorFlow's library at the absolute path of the cache it was built in (setup.ts). A copy of the
 * package restored from elsewhere — pnpm's side-effects cache keeps the folder the postinstall left and restores it
 * into later projects without running the script again — outlives that path when the cache it came from is gone
 * (another `DL_NATIVE_CACHE`, a cleared ~/.cache). The build in this machine's cache for the same sources is the same
 * package with a path that exists: copying it over is what the setup would do, in a second. Never done to a
 * tfjs-node of the user's own (`DL_TFJS_NODE_DIR`). True when it put the build back.
 */
function repairedFromCache(dir: string, err: unknown): boolean {
  if (!/libtensorflow\S*: cannot open shared object file/.test(String((err as Error)?.message))) return false;
  if (dir === process.env['DL_TFJS_NODE_DIR']) return false;
  const cached = join(addonCacheDir(tensorflowVersion()), 'tfjs-node');
  if (!existsSync(join(cached, 'package.json'))) return false;
  try {
    installBuild(cached, dir);
  } catch {
    return false; // A read-only install: the original error, with the setup command, says what to do.
  }
  process.stderr.write(`[dl native] ${dir}'s addon did not find TensorFlow's library; reinstalled dl's build from ${cached}\n`);
  return true;
}
