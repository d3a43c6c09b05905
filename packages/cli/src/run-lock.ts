/**
 * A run folder has one writer: `dl train` and `dl train --resume` hold `DIR/.run.lock` (@dl/data's lock file:
 * pid, host, a heartbeat) for as long as they run. A second writer fails at once, naming the holder, rather than
 * waiting or writing beside it; the lock of a writer that died (SIGKILL, a crash) is taken over at once.
 */
import { join } from 'node:path';
import { describeHolder, tryAcquireFileLock, type HeldLock } from '@dl/data';
import { UsageError } from './usage-error.js';

export const RUN_LOCK = '.run.lock';

/**
 * A lock untouched this long is stale even if its pid runs (a holder on another host sharing the folder, a reused
 * pid). Long, because a holder on this host is judged by its pid at once, and a training step may hold the event
 * loop (and so the heartbeat) for a while.
 */
const STALE_MS = 10 * 60_000;

/** Takes the run folder's lock, or throws a UsageError naming the process that holds it. The folder must exist. */
export async function lockRunFolder(dir: string): Promise<HeldLock> {
  const taken = await tryAcquireFileLock(join(dir, RUN_LOCK), { staleMs: STALE_MS });
  if ('release' in taken) return taken;
  const pid = taken.holder?.pid;
  throw new UsageError(
    `${dir} is in use by ${describeHolder(taken.holder)}, another \`dl train\` writing this run: a run folder has one writer. ` +
      `Wait for it to finish${pid === undefined ? '' : ` (or stop it: kill ${pid})`}, or train into another --out`,
  );
}
