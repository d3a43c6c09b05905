/**
 * A lock file that lets one process at a time work on a cache entry (download it, extract it), so two runs
 * fetching the same dataset at once neither download it twice nor corrupt it: the second waits, then uses what
 * the first left.
 *
 * The lock is a file created exclusively (hard-linked into place, so it is never seen empty), holding JSON `{ pid, host, token, since }`. Its
 * holder touches it every `staleMs / 4` while it works. A lock is stale — and taken over — when its holder is a
 * process of this host that no longer runs (a crash or SIGKILL: taken over at once), or when it has not been
 * touched for `staleMs` (a holder on another host sharing the cache, a reused pid, a hung process). Taking over
 * goes through a second exclusive file (`<lock>.break`), so two waiters never both break the same lock and one
 * never deletes the lock the other has just created.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { link, open, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import isRunning from 'is-running';

export interface LockOptions {
  /** A lock not touched for this long is stale whatever its pid; default 30,000 ms. The holder touches it every staleMs / 4. */
  staleMs?: number;
  /** How often a waiter looks at the lock again; default 100 ms. */
  pollMs?: number;
  /** Give up waiting after this long (an Error naming the lock and its holder); default: wait as long as the holder lives. */
  timeoutMs?: number;
  /** Called once, when the lock is found held by someone else and waiting begins. */
  onWait?: (holder: LockHolder | undefined) => void;
}

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /** Random, so a holder can tell its own lock from a later one at the same path. */
  token: string;
  /** When the lock was taken (ms since the epoch). */
  since: number;
}

/** Runs `fn` while holding the lock file `lockPath`, waiting for it if another process holds it. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const release = await acquireFileLock(lockPath, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/**
 * Takes the lock file `lockPath` (waiting while another live process holds it, taking it over when stale) and
 * returns the function that releases it. The holder's folder must exist.
 */
export async function acquireFileLock(lockPath: string, options: LockOptions = {}): Promise<() => Promise<void>> {
  const taken = await takeLock(lockPath, options, true);
  if (!('release' in taken)) throw new Error(`${lockPath}: not taken`); // unreachable: waiting returns only once taken
  return taken.release;
}

/** A lock file this process holds. */
export interface HeldLock {
  readonly path: string;
  /** Releases the lock (only if it is still ours: it may have been taken over as stale). */
  release(): Promise<void>;
  /** The same, synchronously: for a process about to exit (a signal handler calling process.exit). */
  releaseSync(): void;
}

/**
 * Takes the lock file `lockPath` if no live process holds it (a stale lock is taken over), without waiting: returns
 * the lock, or `{ holder }` saying who holds it. For work that must not queue behind another process (two trainings
 * writing one run folder: the second should fail at once, naming the first).
 */
export async function tryAcquireFileLock(
  lockPath: string,
  options: Omit<LockOptions, 'timeoutMs' | 'onWait'> = {},
): Promise<HeldLock | { holder: LockHolder | undefined }> {
  return takeLock(lockPath, options, false);
}

async function takeLock(lockPath: string, options: LockOptions, wait: boolean): Promise<HeldLock | { holder: LockHolder | undefined }> {
  const staleMs = options.staleMs ?? 30_000;
  const pollMs = options.pollMs ?? 100;
  const me: LockHolder = { pid: process.pid, host: hostname(), token: randomBytes(8).toString('hex'), since: Date.now() };
  const started = Date.now();
  let waiting = false;
  for (;;) {
    if (await tryCreate(lockPath, JSON.stringify(me))) break;
    const seen = await inspect(lockPath);
    if (seen === undefined) continue; // released between our attempt and our look: try again at once
    if (isStale(seen, staleMs)) {
      await breakStaleLock(lockPath, seen, staleMs);
      continue;
    }
    if (!wait) return { holder: seen.holder };
    if (!waiting) {
      waiting = true;
      options.onWait?.(seen.holder);
    }
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      throw new Error(`${lockPath}: still locked by ${describeHolder(seen.holder)} after ${Math.round((Date.now() - started) / 1000)} s`);
    }
    await sleep(pollMs);
  }

  const heartbeat = setInterval(
    () => {
      const now = new Date();
      utimes(lockPath, now, now).catch(() => {});
    },
    Math.max(10, staleMs / 4),
  );
  heartbeat.unref();
  // Only our own lock: had it been taken over (we hung past staleMs), the file is now someone else's.
  const ours = (raw: string | undefined) => parseHolder(raw ?? '')?.token === me.token;
  return {
    path: lockPath,
    release: async () => {
      clearInterval(heartbeat);
      const seen = await inspect(lockPath);
      if (ours(seen?.raw)) await rm(lockPath, { force: true });
    },
    releaseSync: () => {
      clearInterval(heartbeat);
      let raw: string | undefined;
      try {
        raw = readFileSync(lockPath, 'utf8');
      } catch {
        return;
      }
      if (ours(raw)) rmSync(lockPath, { force: true });
    },
  };
}

/** Describes a lock's holder for messages: "process 1234 on host h (since 12:00:00)". */
export function describeHolder(holder: LockHolder | undefined): string {
  if (holder === undefined) return 'a process that had not yet written its name into the lock';
  const host = holder.host === hostname() ? '' : ` on host ${holder.host}`;
  return `process ${holder.pid}${host} (since ${new Date(holder.since).toISOString()})`;
}

interface Seen {
  /** undefined when the file is empty or not ours to read: its creator died (or is) between create and write. */
  holder: LockHolder | undefined;
  raw: string;
  mtimeMs: number;
  ino: number;
}

/** The private file a lock's content is written to before it is linked into place as `path`. */
export function stagingPath(path: string): string {
  return `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
}

/**
 * Whether the file `name` in a lock's folder belongs to the lock file named `lockName`: the lock, its `.break`, or the
 * staging file of either (stagingPath), which another process may see for a moment while it takes the lock.
 */
export function isLockFile(lockName: string, name: string): boolean {
  if (!name.startsWith(lockName)) return false;
  return /^(\.break)?(\.\d+\.[0-9a-f]{8}\.tmp)?$/.test(name.slice(lockName.length));
}

/**
 * Creates `path` holding `content`, or returns false if it exists. The content is written to a private file first and
 * then hard-linked into place (link fails if the name exists), so a lock is never seen empty: a second writer reading
 * it always learns who holds it. Where the filesystem has no hard links, an exclusive create and a write.
 */
async function tryCreate(path: string, content: string): Promise<boolean> {
  const staged = stagingPath(path);
  await writeFile(staged, content, { flag: 'wx' });
  try {
    await link(staged, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(errorCode(error) ?? '')) throw error;
    return createExclusively(path, content);
  } finally {
    await rm(staged, { force: true });
  }
}

async function createExclusively(path: string, content: string): Promise<boolean> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'wx');
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  }
  try {
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
  return true;
}

async function inspect(path: string): Promise<Seen | undefined> {
  try {
    const info = await stat(path);
    const raw = await readFile(path, 'utf8');
    return { holder: parseHolder(raw), raw, mtimeMs: info.mtimeMs, ino: info.ino };
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

function parseHolder(raw: string): LockHolder | undefined {
  try {
    const value = JSON.parse(raw) as Partial<LockHolder>;
    if (
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.token === 'string' &&
      typeof value.since === 'number'
    ) {
      return value as LockHolder;
    }
  } catch {
    // empty or torn: judged by age alone
  }
  return undefined;
}

function isStale(seen: Seen, staleMs: number): boolean {
  const age = Date.now() - seen.mtimeMs;
  if (age > staleMs) return true;
  const holder = seen.holder;
  // A lock without a holder is one whose creator is between create and write, or died there: give it a moment.
  if (holder === undefined) return age > Math.min(staleMs, 2_000);
  return holder.host === hostname() && !isRunning(holder.pid);
}

/** Removes the stale lock `seen`, unless it changed meanwhile; one waiter at a time, through `<lock>.break`. */
async function breakStaleLock(lockPath: string, seen: Seen, staleMs: number): Promise<void> {
  const breakPath = `${lockPath}.break`;
  if (!(await tryCreate(breakPath, String(process.pid)))) {
    // Another waiter is breaking it (a matter of milliseconds); a break file left by a crash is cleared after a while.
    const info = await stat(breakPath).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > Math.min(staleMs, 5_000)) await rm(breakPath, { force: true });
    else await sleep(20);
    return;
  }
  try {
    const now = await inspect(lockPath);
    if (now !== undefined && now.raw === seen.raw && now.mtimeMs === seen.mtimeMs && now.ino === seen.ino)
      await rm(lockPath, { force: true });
  } finally {
    await rm(breakPath, { force: true });
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
