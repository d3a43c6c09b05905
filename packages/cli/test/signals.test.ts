// SIGTERM and SIGINT during `dl train`, in every phase: a clean stop (exit 143 / 130), no temp files, no lock left,
// the run's state and the resume command printed, and a resume that ends where the uninterrupted run ends.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readJson, runDl, writeRealMnistSlice, type RunResult, tempFolderForFile } from './run-dl.js';
import { runDlAndSignal, tempFilesUnder } from './signal-dl.js';

let root: string;
let dataDir: string;
let reference: Record<string, unknown>;
const env = () => ({ DL_DATASETS_DIR: join(root, 'empty-cache') });
const dl = (...args: string[]): Promise<RunResult> => runDl(args, { cwd: root, env: env() });
const trainArgs = (out: string) => ['train', 'cnn', '--epochs', '2', '--seed', '5', '--data-dir', dataDir, '--out', out];

tempFolderForFile(async (dir) => {
  root = dir;
  dataDir = join(root, 'mnist-slice');
  await writeRealMnistSlice(dataDir, { train: 400, test: 200 });
  const straight = await dl(...trainArgs(join(root, 'straight')), '--quiet');
  expect(straight.code, straight.stderr).toBe(0);
  reference = await readJson(join(root, 'straight', 'metrics.json'));
});

/** Signals a run at a phase, checks the clean stop, resumes it and checks it ends as the uninterrupted run. */
async function signalAndResume(phase: 'load' | 'train' | 'evaluate' | 'save', signal: NodeJS.Signals): Promise<RunResult> {
  const out = join(root, `${phase}-${signal}`);
  // Training is caught mid-epoch (at its second epoch's line); the other phases wait for the signal where they begin.
  const stopped = await runDlAndSignal(trainArgs(out), {
    cwd: root,
    env: env(),
    signal,
    ...(phase === 'train' ? { when: /^Epoch 2\/2$/m } : { when: new RegExp(`^paused at ${phase}`, 'm'), pauseAt: phase }),
  });
  expect(stopped.signalled, stopped.stderr).toBe(true);
  expect(stopped.code, stopped.stderr).toBe(signal === 'SIGTERM' ? 143 : 130);
  expect(await tempFilesUnder(out)).toEqual([]);
  expect(existsSync(join(out, '.run.lock'))).toBe(false);
  if (phase === 'save') {
    // The final save is finished, not cut: the run is complete.
    expect(stopped.stderr).toContain(`${signal}: the run is complete and saved in ${out}`);
  } else {
    expect(stopped.stderr).toContain(`${signal}: `);
    expect(stopped.stderr).toContain(`continue with: dl train --resume ${out}`);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
  }
  const resumed = await dl('train', '--resume', out);
  expect(resumed.code, resumed.stderr).toBe(0);
  const metrics = await readJson(join(out, 'metrics.json'));
  // Resumed at an epoch (mid-run), at the start or after training: the same computation as without the signal, exactly.
  expect(metrics).toEqual(reference);
  expect(JSON.parse(await readFile(join(out, 'history.json'), 'utf8')).epoch).toEqual([0, 1]);
  return stopped;
}

describe('SIGTERM during dl train', () => {
  it('while the data loads: stops at once, the run recorded and resumable', async () => {
    const stopped = await signalAndResume('load', 'SIGTERM');
    expect(stopped.stderr).toContain('no epoch has finished yet');
  });

  it('while training: stops after the batch, the finished epoch checkpointed', async () => {
    const stopped = await signalAndResume('train', 'SIGTERM');
    expect(stopped.stderr).toMatch(/stopping after this batch/);
    expect(stopped.stderr).toContain('1 of 2 epochs are checkpointed');
    // The cut epoch's progress line counts the batches run (400 samples / 64: 7 steps), not the full epoch.
    const cut = /^Epoch 2\/2\n\s*(\d+)\/(\d+) - /m.exec(stopped.stdout);
    expect(cut, stopped.stdout).not.toBeNull();
    expect(Number(cut![1]), stopped.stdout).toBeLessThan(Number(cut![2]));
  });

  it('while evaluating: stops at once, every epoch checkpointed, evaluation left for the resume', async () => {
    const stopped = await signalAndResume('evaluate', 'SIGTERM');
    expect(stopped.stderr).toContain('all 2 epochs are checkpointed; the evaluation and final save remain');
  });

  it('during the final save: finishes it, and the resume says the run is finished', async () => {
    await signalAndResume('save', 'SIGTERM');
  });
});

describe('SIGINT during dl train', () => {
  it('behaves as SIGTERM, with exit code 130: while loading and while evaluating', async () => {
    await signalAndResume('load', 'SIGINT');
    await signalAndResume('evaluate', 'SIGINT');
  });
});
