/**
 * Where dl's own tfjs-node lives, and the command that (re)builds it. The setup puts the package, patched and with
 * its addon built, inside this package (`<@dl/native>/tfjs-node/`) rather than under node_modules, where a package
 * manager would prune it; its dependencies (@tensorflow/tfjs, node-pre-gyp) resolve from there as this package's own.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

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
  return createRequire(import.meta.url)(dir) as T;
}
