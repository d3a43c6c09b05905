/**
 * A `dl train` run folder: `run.json` (the settings, see run-config.ts), `.run.lock` (while a `dl train` writes it,
 * see run-lock.ts), `checkpoint/` (BackupAndRestore's backup after the last finished epoch: the model with its
 * optimizer state, the history so far and the random state), `history.json`, and at the end the final model and
 * `metrics.json` (written last: a run with metrics.json is finished).
 *
 * dl writes only into folders that are new, empty, or a dl run: never over files it did not write.
 */
import { readdirSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Callback, makeFolder, type BackupAndRestore } from '@dl/core';
import { isLockFile, type HeldLock } from '@dl/data';
import { RUN_JSON } from './run-config.js';
import { lockRunFolder, RUN_LOCK } from './run-lock.js';
import { UsageError } from './usage-error.js';
import { writeJson } from './write-json.js';

export const CHECKPOINT_DIR = 'checkpoint';
export const HISTORY_JSON = 'history.json';
export const METRICS_JSON = 'metrics.json';

/** Temp files of dl's atomic writes: `.<name>.tmp-<pid>-<n>`. */
const TEMP_FILE = /^\..+\.tmp-(\d+)-\d+$/;

/** What a folder is, as far as writing a new run into it goes. */
type FolderKind =
  | { kind: 'missing' }
  | { kind: 'not a folder' }
  /** Empty, or holding only dl's own files from before run.json: a lock, temp files (a killed run's, or a live writer's). */
  | { kind: 'empty' }
  | { kind: 'run'; preset: string | undefined }
  | { kind: 'foreign'; names: string[] };

async function inspectFolder(dir: string): Promise<FolderKind> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return { kind: 'missing' };
  if (!info.isDirectory()) return { kind: 'not a folder' };
  const names = await readdir(dir);
  if (names.includes(RUN_JSON)) {
    const preset = await readFile(join(dir, RUN_JSON), 'utf8').then(
      (text) => (JSON.parse(text) as { preset?: unknown }).preset,
      () => undefined,
    );
    return { kind: 'run', preset: typeof preset === 'string' ? preset : undefined };
  }
  // dl's own files, never a user's: its lock (with the file a `dl train` stages it in while taking it), and the temp
  // files of its atomic writes — a killed run's, or those of a `dl train` writing here right now (then the lock, taken
  // next, names it).
  const dls = (name: string) => isLockFile(RUN_LOCK, name) || TEMP_FILE.test(name);
  const foreign = names.filter((name) => !dls(name));
  return foreign.length === 0 ? { kind: 'empty' } : { kind: 'foreign', names: foreign.sort() };
}

/**
 * Makes (or takes) the folder of a new run and locks it: `dir` must be new, empty, or hold only a killed run's
 * leftovers from before it wrote run.json. A dl run there is refused with "continue it with --resume", anything else
 * with the folder named; nothing is written into a folder that is refused.
 */
export async function takeNewRunFolder(dir: string, presetName: string): Promise<{ lock: HeldLock; created: boolean }> {
  const before = await inspectFolder(dir);
  refuseUnlessEmpty(before, dir, presetName, false);
  let created = false;
  if (before.kind === 'missing') created = (await makeFolder(dir)) !== undefined;
  const lock = await lockRunFolder(dir);
  // Under the lock: another `dl train` may have started a run here between our look and our lock.
  try {
    refuseUnlessEmpty(await inspectFolder(dir), dir, presetName, true);
  } catch (err) {
    lock.releaseSync();
    throw err;
  }
  return { lock, created };
}

function refuseUnlessEmpty(found: FolderKind, dir: string, presetName: string, locked: boolean): void {
  switch (found.kind) {
    case 'missing':
      if (locked) throw new UsageError(`${dir} disappeared while dl was preparing it; run the command again`);
      return;
    case 'empty':
      return;
    case 'not a folder':
      throw new UsageError(`--out ${dir} is a file, not a folder: choose a new or empty folder for the run`);
    case 'run':
      // Locked by a live writer: say so (lockRunFolder names it), rather than suggesting a --resume that would fail.
      if (!locked) return;
      if (found.preset === presetName) {
        throw new UsageError(`${dir} already holds a run of '${presetName}': continue it with --resume ${dir}, or choose another --out`);
      }
      throw new UsageError(
        `${dir} already holds a run of ${found.preset === undefined ? 'another preset' : `'${found.preset}'`}, not '${presetName}': choose another --out`,
      );
    case 'foreign': {
      const shown = found.names.slice(0, 5).join(', ') + (found.names.length > 5 ? `, … (${found.names.length} entries)` : '');
      throw new UsageError(
        `--out ${dir} is not empty and not a dl run (it holds ${shown}): dl writes a run only into a new or empty folder, so as never to ` +
          'overwrite files it did not write. Choose another --out (or leave it out for runs/<preset>-<time>)',
      );
    }
  }
}

/**
 * A new folder `<base>`, or `<base>-2`, `<base>-3`, … when taken: created exclusively (mkdir fails when it exists),
 * so two runs started in the same second never share one.
 */
export async function createUniqueFolder(base: string): Promise<string> {
  await makeFolder(join(base, '..'));
  for (let n = 1; ; n++) {
    const dir = n === 1 ? base : `${base}-${n}`;
    try {
      await mkdir(dir);
      return dir;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

/** Undoes a new run that never trained (its data would not load): run.json, the lock, the folder if dl made it. */
export async function abandonNewRun(dir: string, lock: HeldLock, created: boolean): Promise<void> {
  rmSync(join(dir, RUN_JSON), { force: true });
  removeOwnTempFiles(dir);
  await lock.release();
  if (created) await rmdir(dir).catch(() => {}); // only when empty: a vocabulary.json written meanwhile stays
}

/** Removes this process's temp files under `dir` (writes cut short by an exit): synchronous, for exit paths. */
export function removeOwnTempFiles(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir, { recursive: true }) as string[];
  } catch {
    return;
  }
  for (const name of names) {
    const temp = TEMP_FILE.exec(name.split('/').at(-1)!);
    if (temp !== null && Number(temp[1]) === process.pid) rmSync(join(dir, name), { force: true });
  }
}

/** After every epoch BackupAndRestore backed up: `history.json`, every finished epoch so far. */
export class HistoryFile extends Callback {
  private written = -1;

  constructor(
    private readonly dir: string,
    private readonly backup: BackupAndRestore,
  ) {
    super();
  }

  override async onEpochEnd(): Promise<void> {
    const history = this.backup.history;
    if (history.epoch.length === this.written) return; // an epoch cut short: not backed up, nothing new
    this.written = history.epoch.length;
    await writeJson(join(this.dir, HISTORY_JSON), history);
  }
}
