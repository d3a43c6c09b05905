// Runs `dl` and sends it a signal once its output shows a line: a phase it paused at (DL_PAUSE_AT_PHASE), or an epoch.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { BIN, type RunResult } from './run-dl.js';

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
export function runDlAndSignal(args: string[], options: SignalOptions): Promise<RunResult & { signalled: boolean }> {
  return new Promise((resolvePromise, reject) => {
    const env = { ...process.env, ...options.env, ...(options.pauseAt !== undefined ? { DL_PAUSE_AT_PHASE: options.pauseAt } : {}) };
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let signalled = false;
    const look = () => {
      if (!signalled && (options.when.test(stderr) || options.when.test(stdout))) signalled = child.kill(options.signal);
    };
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      look();
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
      look();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 100_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr, signalled });
    });
  });
}

/** Temp files of dl's atomic writes (`.<name>.tmp-<pid>-<n>`) anywhere under `dir`. */
export async function tempFilesUnder(dir: string): Promise<string[]> {
  const names = (await readdir(dir, { recursive: true })) as string[];
  return names.filter((name) => /(^|\/)\.[^/]*\.tmp-\d+-\d+$/.test(name));
}
