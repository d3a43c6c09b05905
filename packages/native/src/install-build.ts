/**
 * Puts a built tfjs-node package (a cache entry's `tfjs-node/`) where dl loads it. A copy, not a link: its JavaScript
 * must sit inside @dl/native to resolve its dependencies. Staged beside the target and swapped in by renames, so a
 * crash at any point leaves either the old package or the new one, never half of one.
 */
import { cpSync, existsSync, renameSync, rmSync } from 'node:fs';

export function installBuild(builtDir: string, installDir: string): void {
  const staged = `${installDir}.new-${process.pid}`;
  const old = `${installDir}.old-${process.pid}`;
  rmSync(staged, { recursive: true, force: true });
  cpSync(builtDir, staged, { recursive: true });
  if (existsSync(installDir)) renameSync(installDir, old);
  renameSync(staged, installDir);
  rmSync(old, { recursive: true, force: true });
}
