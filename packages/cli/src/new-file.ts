import { existsSync } from 'node:fs';
import { UsageError } from './usage-error.js';

/**
 * An output file named on the command line (`option`, e.g. '--out') must not exist yet: dl cannot tell a file it wrote
 * from one the user did, so it writes over neither. Checked before any work, so a clash fails at once.
 */
export function requireNewFile(option: string, path: string): void {
  if (existsSync(path)) throw new UsageError(`${option} ${path} exists: dl does not write over it; choose another name or delete it`);
}
