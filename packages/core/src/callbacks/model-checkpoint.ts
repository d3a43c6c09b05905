import { readdir, rename, rm, stat } from 'node:fs/promises';
import { makeFolder } from '../make-folder.js';
import { basename, dirname, join, resolve } from 'node:path';
import type { ModelMetadata } from '../model.js';
import { Callback, type Logs } from './callback.js';
import { improves, resolveMode, warnMissingMonitor, type MonitorMode } from './monitor.js';
import { OptionError } from '../errors/option-error.js';

export interface ModelCheckpointOptions {
  /**
   * The checkpoint folder. It may name the epoch (from 1) and any log value, with Python's format syntax as in Keras:
   * `{epoch}`, `{epoch:02d}` (zero-padded), `{val_loss:.4f}`, `{loss:.2e}`; with a numeric `saveFreq` also `{batch}`
   * (from 1, within the epoch). Supported format specs: `[0][width][.precision][d|f|e]`; `{{` and `}}` are literal braces.
   */
  filepath: string;
  /** The log value compared when `saveBestOnly`. Default `'val_loss'`. */
  monitor?: string;
  /**
   * Save only when the monitor improves on the best value seen so far (kept across fits of the same instance). With a
   * fixed `filepath`, the folder then always holds the best model. When the monitor is missing, it saves anyway (and
   * warns once per fit), as Keras. Default false.
   */
  saveBestOnly?: boolean;
  /**
   * Leave out the optimizer's state. The folder still has the architecture and the weights, so `loadModel` loads it,
   * but training resumed from it starts with a fresh optimizer. Default false.
   */
  saveWeightsOnly?: boolean;
  /** `'min'`, `'max'`, or `'auto'`: maximise when the monitor's name contains `acc`, else minimise. Default `'auto'`. */
  mode?: MonitorMode;
  /** `'epoch'` saves at the end of every epoch; a number N saves after every N batches. Default `'epoch'`. */
  saveFreq?: 'epoch' | number;
  /** 1 prints a line when it saves or when the monitor did not improve. Default 0. */
  verbose?: 0 | 1;
}

/**
 * Saves the model during training, as Keras's ModelCheckpoint: after each epoch (or every `saveFreq` batches), or with
 * `saveBestOnly` only when the monitored value improves. Each checkpoint is a folder that `loadModel` reads, its
 * metadata holding the model's own plus `epoch`: the epoch it was taken in, from 1 (so for an end-of-epoch checkpoint,
 * the number of epochs done: pass it as `fit`'s `initialEpoch` to resume), and for a mid-epoch one also `batch`.
 *
 * Crash safety: a checkpoint is written complete into a temporary sibling folder `.NAME.saving-PID-N`, then renamed
 * into place. If the target already exists, it is first renamed aside to `.NAME.old`, the new one renamed in, and the
 * old one deleted. So at every instant either `NAME` or, if `NAME` is missing, `.NAME.old` is a complete, loadable
 * checkpoint. After a crash: if `NAME` is missing, `recoverCheckpoint(NAME)` renames `.NAME.old` back (or load it
 * directly); leftover `.NAME.saving-*` folders are incomplete and can be deleted. A target that exists but is not a
 * checkpoint folder (it holds other files) is never replaced: saving throws instead.
 *
 * @example
 * ```ts
 * // Keep the best model by validation loss in ./best, and one folder per epoch in ./ckpt.
 * const best = new ModelCheckpoint({ filepath: 'best', saveBestOnly: true });
 * const each = new ModelCheckpoint({ filepath: 'ckpt/epoch-{epoch:02d}-{loss:.3f}' });
 * await model.fit(x, y, { epochs: 10, callbacks: [best, each] });
 * const restored = await loadModel('best');
 * ```
 */
export class ModelCheckpoint extends Callback {
  readonly filepath: string;
  readonly monitor: string;
  readonly saveBestOnly: boolean;
  readonly saveWeightsOnly: boolean;
  readonly mode: 'min' | 'max';
  readonly saveFreq: 'epoch' | number;
  readonly verbose: 0 | 1;
  /** The best monitored value saved so far. */
  best: number;
  private currentEpoch = 0;
  private batchesSinceSave = 0;
  private warned = false;

  constructor(options: ModelCheckpointOptions) {
    super();
    if (typeof options?.filepath !== 'string' || options.filepath === '')
      throw new OptionError('ModelCheckpoint: filepath must be a non-empty string');
    this.filepath = options.filepath;
    this.monitor = options.monitor ?? 'val_loss';
    this.saveBestOnly = options.saveBestOnly ?? false;
    this.saveWeightsOnly = options.saveWeightsOnly ?? false;
    this.mode = resolveMode(this.monitor, options.mode, 'ModelCheckpoint');
    this.saveFreq = options.saveFreq ?? 'epoch';
    this.verbose = options.verbose ?? 0;
    if (this.saveFreq !== 'epoch' && !(Number.isInteger(this.saveFreq) && this.saveFreq > 0)) {
      throw new OptionError(
        `ModelCheckpoint: saveFreq must be 'epoch' or a positive whole number of batches, got ${String(this.saveFreq)}`,
      );
    }
    this.best = this.mode === 'min' ? Infinity : -Infinity;
    formatFilepath(this.filepath, null); // Rejects a malformed template now rather than after the first epoch.
  }

  override onTrainBegin(): void {
    this.batchesSinceSave = 0;
    this.warned = false;
  }

  override onEpochBegin(epoch: number): void {
    this.currentEpoch = epoch;
  }

  override async onTrainBatchEnd(batch: number, logs: Logs): Promise<void> {
    if (this.saveFreq === 'epoch') return;
    if (++this.batchesSinceSave < this.saveFreq) return;
    this.batchesSinceSave = 0;
    await this.saveModel(this.currentEpoch, batch, logs);
  }

  override async onEpochEnd(epoch: number, logs: Logs): Promise<void> {
    if (this.saveFreq === 'epoch') await this.saveModel(epoch, undefined, logs);
  }

  private async saveModel(epoch: number, batch: number | undefined, logs: Logs): Promise<void> {
    const values: Logs = { ...logs, epoch: epoch + 1 };
    if (batch === undefined) delete values.batch;
    else values.batch = batch + 1;
    const path = formatFilepath(this.filepath, values);
    if (this.saveBestOnly) {
      const current = logs[this.monitor];
      if (current === undefined) {
        if (!this.warned) warnMissingMonitor('ModelCheckpoint (saveBestOnly)', this.monitor, logs);
        this.warned = true;
      } else if (improves(current, this.best, this.mode, 0)) {
        this.say(
          `Epoch ${epoch + 1}: ${this.monitor} improved from ${this.best.toFixed(5)} to ${current.toFixed(5)}, saving model to ${path}`,
        );
        this.best = current;
      } else {
        this.say(`Epoch ${epoch + 1}: ${this.monitor} did not improve from ${this.best.toFixed(5)}`);
        return;
      }
    } else {
      this.say(`Epoch ${epoch + 1}: saving model to ${path}`);
    }
    const metadata: ModelMetadata = { ...this.model.metadata, epoch: epoch + 1 };
    if (batch === undefined) delete metadata.batch;
    else metadata.batch = batch + 1;
    await saveCheckpoint(path, (tmp) => this.model.save(tmp, { includeOptimizer: !this.saveWeightsOnly, metadata }));
  }

  private say(line: string): void {
    if (this.verbose > 0) process.stdout.write(`${line}\n`);
  }
}

/** The folder a checkpoint at `path` is moved to while its replacement is renamed in (see ModelCheckpoint). */
export function checkpointAsidePath(path: string): string {
  const target = resolve(path);
  return join(dirname(target), `.${basename(target)}.old`);
}

/**
 * After a crash while ModelCheckpoint replaced the checkpoint at `path`: when `path` is missing but its aside copy
 * `.NAME.old` exists, renames that back to `path`. Returns whether it did. A no-op when `path` exists.
 */
export async function recoverCheckpoint(path: string): Promise<boolean> {
  const target = resolve(path);
  const aside = checkpointAsidePath(target);
  if ((await exists(target)) || !(await exists(aside))) return false;
  await rename(aside, target);
  return true;
}

let saveCounter = 0;

/**
 * Writes a checkpoint with `write(tmpDir)` into a temporary sibling of `path`, then swaps it in: the existing `path`
 * renamed aside, the new one renamed in, the old one deleted. See ModelCheckpoint for the recovery this allows.
 */
async function saveCheckpoint(path: string, write: (tmpDir: string) => Promise<void>): Promise<void> {
  const target = resolve(path);
  const parent = dirname(target);
  const name = basename(target);
  try {
    await makeFolder(parent);
  } catch (err) {
    throw new Error(`ModelCheckpoint: cannot create the folder ${parent} for checkpoint ${name}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (await exists(target)) await checkIsCheckpoint(target);
  const tmp = join(parent, `.${name}.saving-${process.pid}-${saveCounter++}`);
  try {
    await write(tmp);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
  const aside = checkpointAsidePath(target);
  if (await exists(target)) {
    // `target` is complete, so an aside copy left by an earlier crash is stale.
    await rm(aside, { recursive: true, force: true });
    await rename(target, aside);
  }
  // From here until the rename below, only the aside copy exists; when `target` did not exist, an aside copy left by
  // an earlier crash is the last complete checkpoint, and it stays until the new one is in place.
  await rename(tmp, target);
  await rm(aside, { recursive: true, force: true });
}

/** What a checkpoint folder may hold: model.json, weights files, and the temporary files of an interrupted write. */
const CHECKPOINT_ENTRY = /^(model\.json|weights(-[0-9a-f]+)?\.bin|\..+\.tmp-.+)$/;

async function checkIsCheckpoint(target: string): Promise<void> {
  const info = await stat(target);
  const others = info.isDirectory() ? (await readdir(target)).filter((f) => !CHECKPOINT_ENTRY.test(f)) : [];
  if (!info.isDirectory() || others.length > 0) {
    const what = info.isDirectory() ? `a folder holding ${others.slice(0, 3).join(', ')}${others.length > 3 ? ', …' : ''}` : 'a file';
    throw new OptionError(
      `ModelCheckpoint: ${target} exists and is ${what}, not a model checkpoint; refusing to replace it. Choose another filepath.`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/**
 * Fills `{name}` and `{name:spec}` fields of `template` from `values`, as Python's `str.format`, which Keras's filepath
 * uses. With `values` null, only checks the template's syntax.
 */
export function formatFilepath(template: string, values: Logs | null): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const ch = template[i]!;
    if ((ch === '{' || ch === '}') && template[i + 1] === ch) {
      out += ch;
      i += 2;
      continue;
    }
    if (ch === '}') throw new OptionError(`ModelCheckpoint: single '}' in filepath "${template}"; write '}}' for a literal brace`);
    if (ch !== '{') {
      out += ch;
      i++;
      continue;
    }
    const end = template.indexOf('}', i);
    if (end < 0) throw new OptionError(`ModelCheckpoint: unclosed '{' in filepath "${template}"`);
    const field = template.slice(i + 1, end);
    const colon = field.indexOf(':');
    const name = colon < 0 ? field : field.slice(0, colon);
    const spec = colon < 0 ? '' : field.slice(colon + 1);
    if (!/^[A-Za-z_][\w]*$/.test(name)) throw new OptionError(`ModelCheckpoint: bad field '{${field}}' in filepath "${template}"`);
    if (values === null) {
      formatNumber(0, spec, template);
    } else {
      const value = values[name];
      if (value === undefined) {
        throw new OptionError(
          `ModelCheckpoint: failed to format filepath "${template}": no '${name}' in the logs; available: ${Object.keys(values).join(', ')}`,
        );
      }
      out += formatNumber(value, spec, template);
    }
    i = end + 1;
  }
  return out;
}

/** Python's format spec subset `[0][width][.precision][d|f|e]`. */
function formatNumber(value: number, spec: string, template: string): string {
  const m = /^(0)?(\d+)?(?:\.(\d+))?([dfe])?$/.exec(spec);
  if (!m)
    throw new OptionError(
      `ModelCheckpoint: unsupported format spec ':${spec}' in filepath "${template}"; supported: [0][width][.precision][d|f|e]`,
    );
  const [, zero, width, precision, type] = m;
  let text: string;
  if (!Number.isFinite(value)) text = Number.isNaN(value) ? 'nan' : value > 0 ? 'inf' : '-inf';
  else if (type === 'd') {
    if (!Number.isInteger(value))
      throw new OptionError(`ModelCheckpoint: format ':${spec}' in filepath "${template}" needs a whole number, got ${value}`);
    text = String(value);
  } else if (type === 'f') text = value.toFixed(precision === undefined ? 6 : Number(precision));
  else if (type === 'e') text = value.toExponential(precision === undefined ? 6 : Number(precision)).replace(/e([+-])(\d)$/, 'e$10$2');
  else text = precision === undefined ? String(value) : value.toPrecision(Number(precision));
  const w = width === undefined ? 0 : Number(width);
  if (text.length >= w) return text;
  if (zero && Number.isFinite(value)) return text.startsWith('-') ? `-${text.slice(1).padStart(w - 1, '0')}` : text.padStart(w, '0');
  return text.padStart(w, ' ');
}
