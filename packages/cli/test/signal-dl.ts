// Runs `dl` and sends it a signal once its output shows a line: a phase it paused at (DL_PAUSE_AT_PHASE), or an epoch.
import { readdir } from 'node:fs/promises';
import { type RunResult, runDl } from './run-dl.js';

export interface SignalOptions {
  cwd: string;
  env: Record<string, string>;
  /** The output line (stdout or stderr) after which to send the signal. */
  when: RegExp;
  signal: NodeJS.Signals;
  /** Also pause `dl train` at this phase (`load`, `train`, `evaluate`, `save`) until the signal comes. */
  pauseAt?: string;
  timeoutMs?: number;
}

/** `dl ...args`, signalled as soon as `when` shows in its output; `signalled` says whether it was. */
export async function runDlAndSignal(args: string[], options: SignalOptions): Promise<RunResult & { signalled: boolean }> {
  let signalled = false;
  const result = await runDl(args, {
    cwd: options.cwd,
    env: { ...options.env, ...(options.pauseAt !== undefined ? { DL_PAUSE_AT_PHASE: options.pauseAt } : {}) },
    ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    onOutput: ({ stdout, stderr }, child) => {
      if (!signalled && (options.when.test(stderr) || options.when.test(stdout))) signalled = child.kill(options.signal);
    },
  });
  return { ...result, signalled };
}

/** Temp files of dl's atomic writes (`.<name>.tmp-<pid>-<n>`) anywhere under `dir`. */
export async function tempFilesUnder(dir: string): Promise<string[]> {
  const names = (await readdir(dir, { recursive: true })) as string[];
  return names.filter((name) => /(^|\/)\.[^/]*\.tmp-\d+-\d+$/.test(name));
}
