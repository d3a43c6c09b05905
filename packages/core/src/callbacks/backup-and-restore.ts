import { rm } from 'node:fs/promises';
import type { ModelMetadata } from '../model.js';
import { ModelFileError } from '../model-files.js';
import { randomState, setRandomState, type RandomState } from '../seed.js';
import { Callback, type Logs } from './callback.js';
import { History, type HistoryJson } from './history.js';
import { OptionError } from '../errors/option-error.js';

export interface BackupAndRestoreOptions {
  /** The folder the backup is written to (a `model.save` of the model, overwritten after every epoch). */
  backupDir: string;
  /**
   * Remove `backupDir` when `fit` ends having run its last epoch whole (or stopped at an epoch's end, by EarlyStopping
   * say); it is kept when an epoch was cut short (`model.stopTraining` mid-epoch, an error). Default true.
   */
  deleteCheckpoint?: boolean;
}

/** What a backup holds beyond the model: where training stood, in the model's saved metadata. */
export interface BackupState {
  /** Epochs finished: the next `fit` starts at this epoch. */
  epoch: number;
  /** Every finished epoch's logs, across interruptions (Keras's History layout). */
  history: HistoryJson;
  /** setSeed's random streams after the last finished epoch, when a seed was set (see `randomState`). */
  random?: RandomState;
}

/** The metadata key of the backup's state; `history` stays a top-level key, as in every dl run's checkpoint. */
const STATE_KEY = 'backupAndRestore';

/**
 * Backs up the training state after every epoch and restores it when `fit` starts again, as Keras 3's
 * `BackupAndRestore`: so a `fit` interrupted by a crash, a kill or a Ctrl-C continues, when run again with the same
 * callback, after its last finished epoch rather than from the start.
 *
 * - At the end of each epoch it saves the model to `backupDir` (`model.save`: weights and optimizer state, one
 *   atomic write, so a kill mid-backup leaves the previous one), with the epoch count and the history so far in its
 *   metadata. An epoch cut short (`model.stopTraining` set mid-epoch) is not backed up.
 * - At the start of `fit` (`onTrainBegin`), when `backupDir` holds a backup, it restores the model's weights and
 *   optimizer state in place (`model.loadWeights`) and `fit` skips the finished epochs (starting at the backup's epoch,
 *   whatever `initialEpoch` says). The model must be the same network; another is refused before anything changes.
 * - When `fit` ends having run its last epoch whole, it deletes `backupDir`, unless `deleteCheckpoint` is false.
 *
 * Beyond Keras: the backup also holds setSeed's random streams (shuffle order, dropout seeds, initialisers), restored
 * with the weights, so an interrupted and restored seeded run draws exactly what the uninterrupted run would have;
 * and the history of every finished epoch (`history`), so the epochs before the interruption are not lost.
 *
 * @example
 * ```ts
 * // Run this again after a crash: it continues after the last finished epoch.
 * await model.fit(x, y, { epochs: 10, callbacks: [new BackupAndRestore({ backupDir: 'runs/backup' })] });
 * ```
 */
export class BackupAndRestore extends Callback {
  readonly backupDir: string;
  readonly deleteCheckpoint: boolean;
  /** The epoch the last `fit` started at from a backup, or undefined when there was none to restore. */
  restoredEpoch: number | undefined;
  private earlier: HistoryJson = emptyHistory();
  private readonly current = new History();
  private batches = 0;
  private lastEpochWhole = false;

  constructor(options: BackupAndRestoreOptions) {
    super();
    if (typeof options?.backupDir !== 'string' || options.backupDir === '')
      throw new OptionError('BackupAndRestore needs a backupDir: the folder to back up to');
    this.backupDir = options.backupDir;
    this.deleteCheckpoint = options.deleteCheckpoint ?? true;
  }

  /**
   * The state of the backup in `backupDir` for `model` (its epoch, history and random state), read without loading
   * weights; undefined when there is none. To say, before `fit`, where it will resume.
   */
  static async readState(
    model: { readSavedMetadata(dir: string): Promise<ModelMetadata | undefined> },
    backupDir: string,
  ): Promise<BackupState | undefined> {
    const metadata = await model.readSavedMetadata(backupDir);
    return metadata === undefined ? undefined : stateOf(metadata, backupDir);
  }

  /** Every finished epoch's logs: those restored from the backup, then this `fit`'s. */
  get history(): HistoryJson {
    return appendHistory(this.earlier, this.current);
  }

  override async onTrainBegin(): Promise<void> {
    this.restoredEpoch = undefined;
    this.earlier = emptyHistory();
    this.current.epoch = [];
    this.current.history = {};
    this.current.epochSeconds = [];
    this.lastEpochWhole = false;
    if ((await this.model.readSavedMetadata(this.backupDir)) === undefined) return;
    const metadata = await this.model.loadWeights(this.backupDir);
    const state = stateOf(metadata ?? {}, this.backupDir);
    this.earlier = state.history;
    this.restoredEpoch = state.epoch;
    this.model.initialEpochOverride = state.epoch;
    // Nothing left to run: the backup's training is over (it was killed before deleting the backup).
    this.lastEpochWhole = state.epoch >= this.params.epochs;
    // Last, so that nothing drawn while restoring (building, loading) shifts the streams.
    if (state.random !== undefined) setRandomState(state.random);
  }

  override onEpochBegin(): void {
    this.current.onEpochBegin();
    this.batches = 0;
    this.lastEpochWhole = false;
  }

  override onTrainBatchEnd(): void {
    this.batches++;
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    // An epoch cut short (Ctrl-C, a NaN loss) is not backed up: restoring redoes it whole.
    if (this.params.steps !== undefined && this.batches < this.params.steps) return;
    this.current.onEpochEnd(epoch, logs);
    const history = this.history;
    const random = randomState();
    const state: Omit<BackupState, 'history'> = { epoch: epoch + 1, ...(random !== undefined ? { random } : {}) };
    const { [STATE_KEY]: _state, history: _history, ...own } = this.model.metadata ?? {};
    // Weights, optimizer state, epoch and history in one save: a kill mid-write leaves the previous backup whole.
    await this.model.save(this.backupDir, { metadata: { ...own, history, [STATE_KEY]: state } });
    this.lastEpochWhole = true;
  }

  override async onTrainEnd(): Promise<void> {
    if (this.deleteCheckpoint && this.lastEpochWhole) await rm(this.backupDir, { recursive: true, force: true });
  }
}

/** A History with no epochs. */
export function emptyHistory(): HistoryJson {
  return { epoch: [], history: {}, epochSeconds: [] };
}

/** `earlier` followed by the epochs of `later`. */
export function appendHistory(earlier: HistoryJson, later: History | HistoryJson): HistoryJson {
  const next = later instanceof History ? later.toJSON() : later;
  const history: Record<string, number[]> = {};
  for (const key of new Set([...Object.keys(earlier.history), ...Object.keys(next.history)])) {
    history[key] = [...(earlier.history[key] ?? []), ...(next.history[key] ?? [])];
  }
  return { epoch: [...earlier.epoch, ...next.epoch], history, epochSeconds: [...earlier.epochSeconds, ...next.epochSeconds] };
}

/** The backup state in a save's metadata; a save without one (not a backup) counts as 0 epochs. */
function stateOf(metadata: ModelMetadata, backupDir: string): BackupState {
  const raw = metadata[STATE_KEY] as Partial<BackupState> | undefined;
  const history = isHistory(metadata.history) ? metadata.history : emptyHistory();
  // Checkpoints written before the state key existed carried the history alone: its length is the epoch count.
  const epoch = raw?.epoch ?? history.epoch.length;
  if (!Number.isSafeInteger(epoch) || epoch < 0 || epoch !== history.epoch.length) {
    throw new ModelFileError(
      backupDir,
      `the backup's epoch (${String(epoch)}) does not match its history (${history.epoch.length} epochs): it was not written by BackupAndRestore. Delete the folder to start over`,
    );
  }
  return { epoch, history, ...(raw?.random !== undefined ? { random: raw.random } : {}) };
}

function isHistory(value: unknown): value is HistoryJson {
  const h = value as Partial<HistoryJson> | undefined;
  return (
    typeof h === 'object' &&
    h !== null &&
    Array.isArray(h.epoch) &&
    typeof h.history === 'object' &&
    h.history !== null &&
    Array.isArray(h.epochSeconds)
  );
}
