// The lock file behind getFile: exclusive, waited for, taken over when its holder died or stopped touching it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { acquireFileLock, isLockFile, stagingPath, tryAcquireFileLock, withFileLock, type LockHolder } from '../src/file-lock.js';
import { tempDir } from './idx-fixtures.js';

let dir: string;
let lock: string;
beforeEach(async () => {
  dir = await tempDir();
  lock = join(dir, '.file.lock');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited (it ran and ended), so no process has it for now. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

async function leaveLock(holder: Partial<LockHolder>, ageMs = 0): Promise<void> {
  await writeFile(lock, JSON.stringify({ pid: 1, host: hostname(), token: 'someone-else', since: Date.now() - ageMs, ...holder }));
  const then = new Date(Date.now() - ageMs);
  await utimes(lock, then, then);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('file lock', () => {
  it('is exclusive: a second holder waits until the first releases it, and nothing is left behind', async () => {
    const events: string[] = [];
    let waited = 0;
    const first = withFileLock(lock, async () => {
      events.push('first in');
      await sleep(300);
      events.push('first out');
    });
    await sleep(20);
    const second = withFileLock(
      lock,
      async () => {
        events.push('second in');
      },
      { pollMs: 20, onWait: () => waited++ },
    );
    await Promise.all([first, second]);
    expect(events).toEqual(['first in', 'first out', 'second in']);
    expect(waited).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('records who holds it', async () => {
    const release = await acquireFileLock(lock);
    const holder = JSON.parse(await readFile(lock, 'utf8')) as LockHolder;
    expect(holder).toMatchObject({ pid: process.pid, host: hostname() });
    await release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over at once a lock whose holder on this host no longer runs', async () => {
    await leaveLock({ pid: deadPid() });
    const onWait = vi.fn();
    await withFileLock(lock, async () => {}, { staleMs: 60_000, pollMs: 20, onWait });
    expect(onWait).not.toHaveBeenCalled(); // taken over, not waited for
    expect(await readdir(dir)).toEqual([]);
  });

  it('waits for a live holder, however old its lock, as long as it keeps touching it', async () => {
    // A holder in this process (so surely alive) that holds the lock for 4 × staleMs; its heartbeat keeps it fresh.
    const staleMs = 200;
    let released = 0;
    const holder = withFileLock(lock, () => sleep(800).then(() => void (released = Date.now())), { staleMs });
    await sleep(20);
    let entered = 0;
    await withFileLock(lock, async () => void (entered = Date.now()), { staleMs, pollMs: 20 });
    await holder;
    expect(entered).toBeGreaterThanOrEqual(released);
  });

  it('takes over a lock nobody touched for staleMs, even from a host it cannot check', async () => {
    await leaveLock({ host: 'another-host', pid: process.pid }, 10_000);
    await withFileLock(lock, async () => {}, { staleMs: 5_000, pollMs: 20 });
    expect(await readdir(dir)).toEqual([]);
  });

  it('waits for a fresh lock of another host, and gives up after timeoutMs naming the holder', async () => {
    await leaveLock({ host: 'another-host', pid: 4242 });
    const error = await withFileLock(lock, async () => {}, { staleMs: 60_000, pollMs: 20, timeoutMs: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(lock);
    expect((error as Error).message).toContain('process 4242 on host another-host');
  });

  it('takes over an empty lock file (its creator died between creating and writing it) after a moment', async () => {
    await writeFile(lock, '');
    const then = new Date(Date.now() - 3_000);
    await utimes(lock, then, then);
    await withFileLock(lock, async () => {}, { pollMs: 20 });
    expect(await readdir(dir)).toEqual([]);
  });

  it('lets one of many waiters at a time take over a stale lock', async () => {
    await leaveLock({ pid: deadPid() });
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withFileLock(
          lock,
          async () => {
            most = Math.max(most, ++inside);
            await sleep(10);
            inside--;
          },
          { pollMs: 5 },
        ),
      ),
    );
    expect(most).toBe(1);
    expect(await readdir(dir)).toEqual([]);
  });

  it('on release leaves alone a lock that is no longer its own', async () => {
    const release = await acquireFileLock(lock);
    await leaveLock({ token: 'the-new-holder' });
    await release();
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ token: 'the-new-holder' });
  });

  it("without waiting: says who holds a live lock, takes a dead holder's, and releases synchronously", async () => {
    await leaveLock({ pid: process.ppid });
    const refused = await tryAcquireFileLock(lock);
    expect(refused).toEqual({ holder: expect.objectContaining({ pid: process.ppid, token: 'someone-else' }) });

    await leaveLock({ pid: deadPid() });
    const taken = await tryAcquireFileLock(lock);
    if (!('release' in taken)) throw new Error('expected the stale lock to be taken over');
    expect(JSON.parse(await readFile(lock, 'utf8'))).toMatchObject({ pid: process.pid });
    taken.releaseSync();
    expect(await readdir(dir)).toEqual([]);
  });

  it('is never seen empty: whenever it exists, it names its holder', async () => {
    let settled = false;
    const taking = tryAcquireFileLock(lock).finally(() => {
      settled = true;
    });
    // Spin on this thread in slices: meanwhile the lock's file operations go on in libuv's pool but none of its
    // callbacks can run, so a lock created empty and written afterwards is caught empty.
    const seen: string[] = [];
    while (!settled) {
      const sliceEnd = Date.now() + 20;
      while (Date.now() < sliceEnd) {
        try {
          seen.push(readFileSync(lock, 'utf8'));
        } catch {
          // not there yet
        }
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(seen.length).toBeGreaterThan(0);
    for (const raw of new Set(seen)) expect(raw).toMatch(new RegExp(`"pid":${process.pid}`));
    const taken = await taking;
    if (!('release' in taken)) throw new Error('expected the lock to be taken');
    await taken.release();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('isLockFile', () => {
  it("tells a lock's own files (the lock, its .break, their staging files) from any other file", () => {
    for (const name of ['.run.lock', '.run.lock.break', '.run.lock.2451.224ccec6.tmp', '.run.lock.break.7.0a1b2c3d.tmp']) {
      expect(isLockFile('.run.lock', name), name).toBe(true);
    }
    // The staging file the lock really uses, for the lock and for its .break.
    expect(isLockFile('.run.lock', stagingPath('.run.lock'))).toBe(true);
    expect(isLockFile('.run.lock', stagingPath('.run.lock.break'))).toBe(true);
    for (const name of ['.run.lockX', '.run.lock.tmp', '.run.lock.12.xyz.tmp', 'notes.txt', '.run.lock.1.abcdef01.tmp.bak', 'run.lock']) {
      expect(isLockFile('.run.lock', name), name).toBe(false);
    }
  });
});
