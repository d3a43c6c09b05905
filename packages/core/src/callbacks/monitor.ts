/** Watching a logged value for improvement: shared by EarlyStopping, ModelCheckpoint and ReduceLROnPlateau. */
import type { Logs } from './callback.js';
import { OptionError } from '../errors/option-error.js';

/** Whether a monitored value should go down (`min`), up (`max`), or either as its name says (`auto`). */
export type MonitorMode = 'auto' | 'min' | 'max';

/**
 * `'min'` or `'max'` for a monitor: `auto` maximises names that contain `acc` (accuracy, val_accuracy), else minimises.
 */
export function resolveMode(monitor: string, mode: MonitorMode | undefined, owner: string): 'min' | 'max' {
  if (mode === undefined || mode === 'auto') return monitor.includes('acc') ? 'max' : 'min';
  if (mode === 'min' || mode === 'max') return mode;
  throw new OptionError(`${owner}: unknown mode '${String(mode)}'; valid modes: auto, min, max`);
}

/** Whether `current` beats `reference` by more than `minDelta` (≥ 0) in the direction of `mode`. */
export function improves(current: number, reference: number, mode: 'min' | 'max', minDelta: number): boolean {
  return mode === 'min' ? current + minDelta < reference : current - minDelta > reference;
}

/** Warns on stderr that `monitor` is not among the logs, naming those that are. */
export function warnMissingMonitor(owner: string, monitor: string, logs: Logs): void {
  process.stderr.write(
    `WARNING: ${owner} is conditioned on metric \`${monitor}\`, which is not available. Available metrics are: ${Object.keys(logs).join(', ')}\n`,
  );
}
