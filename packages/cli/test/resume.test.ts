// A run killed with SIGKILL after an epoch resumes with --resume and runs only the remaining epochs, and ends exactly
// as the uninterrupted run (same seed: same history, same weights, bit for bit), with graph execution and without.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, lastJsonLine, readJson, runDl, writeRealMnistSlice, type RunResult, tempFolderForFile, dlIn } from './run-dl.js';

const EPOCHS = 4;
let root: string;
let dataDir: string;
const env = (extra: Record<string, string> = {}) => ({ ...process.env, DL_DATASETS_DIR: join(root, 'empty-cache'), ...extra });
const trainArgs = (out: string) => ['train', 'cnn', '--epochs', String(EPOCHS), '--data-dir', dataDir, '--out', out, '--seed', '3'];
const dl = dlIn(() => root);
/** Steps run eagerly throughout: see 'exactly' below. */
const eagerDl = (...args: string[]): Promise<RunResult> =>
  runDl(args, { cwd: root, env: { DL_DATASETS_DIR: join(root, 'empty-cache'), DL_GRAPH: '0' } });

tempFolderForFile(async (dir) => {
  root = dir;
  dataDir = join(root, 'mnist-slice');
  await writeRealMnistSlice(dataDir, { train: 3000, test: 500 });
});

/** Epochs recorded in the run's history.json, or 0 before the first checkpoint. */
async function epochsDone(out: string): Promise<number> {
  const path = join(out, 'history.json');
  if (!existsSync(path)) return 0;
  return (JSON.parse(await readFile(path, 'utf8')) as { epoch: number[] }).epoch.length;
}

/** Starts `dl train` and kills it with SIGKILL as soon as `killAfter` epochs are checkpointed. */
async function trainAndKill(out: string, killAfter: number, extraEnv: Record<string, string> = {}): Promise<number> {
  const child = spawn(process.execPath, [BIN, ...trainArgs(out), '--quiet'], {
    cwd: root,
    env: env(extraEnv),
    stdio: 'ignore',
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let done = 0;
  for (let i = 0; i < 1200 && child.exitCode === null; i++) {
    done = await epochsDone(out);
    if (done >= killAfter) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  await exited;
  return epochsDone(out);
}

describe('dl train --resume after SIGKILL', () => {
  let out: string;
  let killedAt: number;
  let finishedBeforeKill: boolean;
  let resumed: RunResult;

  beforeAll(async () => {
    out = join(root, 'killed-run');
    killedAt = await trainAndKill(out, 1);
    finishedBeforeKill = existsSync(join(out, 'metrics.json'));
    resumed = await dl('train', '--resume', out, '--json');
  });

  it('ends exactly as the uninterrupted run with the same seed (graph execution): history and weights identical, bit for bit', async () => {
    // Eager and graph kernels round differently, so this holds only because every epoch traces its steps anew, at the
    // same places in a resumed run as in an uninterrupted one (graph-function.ts: retrace).
    const straight = join(root, 'uninterrupted-run');
    const whole = await dl(...trainArgs(straight), '--quiet');
    expect(whole.code, whole.stderr).toBe(0);
    await expectSameRun(out, straight);
  });

  it('was killed mid-run, with a checkpoint of the finished epochs', () => {
    expect(killedAt).toBeGreaterThanOrEqual(1);
    expect(killedAt).toBeLessThan(EPOCHS);
    expect(finishedBeforeKill).toBe(false);
  });

  it('resumes after the last finished epoch and runs only the remaining ones', () => {
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`after epoch ${killedAt} of ${EPOCHS}`);
    const epochLines = resumed.stderr.split('\n').filter((l) => /^Epoch \d+\/\d+$/.test(l));
    expect(epochLines).toEqual(Array.from({ length: EPOCHS - killedAt }, (_, i) => `Epoch ${killedAt + i + 1}/${EPOCHS}`));
  });

  it('ends with history.json holding exactly the requested epochs, and a loadable, evaluated model', async () => {
    const history = (await readJson(join(out, 'history.json'))) as {
      epoch: number[];
      history: Record<string, number[]>;
      epochSeconds: number[];
    };
    expect(history.epoch).toEqual(Array.from({ length: EPOCHS }, (_, i) => i));
    expect(history.history['loss']).toHaveLength(EPOCHS);
    expect(history.epochSeconds).toHaveLength(EPOCHS);
    const line = lastJsonLine(resumed.stdout);
    expect(line['epochs']).toBe(EPOCHS);
    const metrics = await readJson(join(out, 'metrics.json'));
    expect(metrics['accuracy']).toBe(line['accuracy']);
    const evaluated = await dl('evaluate', out, '--data-dir', dataDir, '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(lastJsonLine(evaluated.stdout)['accuracy']).toBeCloseTo(metrics['accuracy'] as number, 3);
  });

  it('refuses to start a new run over an existing run folder, and a resume of a folder that is not a run', async () => {
    const again = await dl('train', 'cnn', '--out', out, '--data-dir', dataDir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('--resume');
    const notARun = await dl('train', '--resume', dataDir);
    expect(notARun.code).toBe(2);
    expect(notARun.stderr).toContain(join(dataDir, 'run.json'));
  });
});

async function historyOf(dir: string): Promise<{ epoch: number[]; history: Record<string, number[]> }> {
  const { epoch, history } = (await readJson(join(dir, 'history.json'))) as { epoch: number[]; history: Record<string, number[]> };
  return { epoch, history };
}

/** The run in `dir` ended exactly as the one in `reference`: history, final weights (bytes and name) and metrics. */
async function expectSameRun(dir: string, reference: string): Promise<void> {
  expect(await historyOf(dir)).toEqual(await historyOf(reference));
  const [mine, theirs] = [await finalWeights(dir), await finalWeights(reference)];
  expect(mine.file).toBe(theirs.file);
  expect(mine.bytes.equals(theirs.bytes)).toBe(true);
  expect(await readJson(join(dir, 'metrics.json'))).toEqual(await readJson(join(reference, 'metrics.json')));
}

/** The final weights file (named by a hash of the weights and optimizer state) and its bytes. */
async function finalWeights(dir: string): Promise<{ file: string; bytes: Buffer }> {
  const [file] = (await readdir(dir)).filter((f) => /^weights-[0-9a-f]+\.bin$/.test(f));
  return { file: file!, bytes: await readFile(join(dir, file!)) };
}

describe('a killed and resumed seeded run, steps eager (DL_GRAPH=0)', () => {
  it('ends exactly as the uninterrupted run: history and weights identical, bit for bit', async () => {
    const straight = join(root, 'exact-uninterrupted');
    const whole = await eagerDl(...trainArgs(straight), '--quiet');
    expect(whole.code, whole.stderr).toBe(0);
    const out = join(root, 'exact-killed');
    const killedAt = await trainAndKill(out, 1, { DL_GRAPH: '0' });
    expect(killedAt).toBeGreaterThanOrEqual(1);
    expect(killedAt).toBeLessThan(EPOCHS);
    const resumed = await eagerDl('train', '--resume', out, '--quiet');
    expect(resumed.code, resumed.stderr).toBe(0);

    await expectSameRun(out, straight);
  });
});

describe('Ctrl-C during dl train', () => {
  it('stops after the current batch with exit code 130, keeps the last epoch checkpoint, and resumes from it', async () => {
    const out = join(root, 'interrupted-run');
    const child = spawn(
      process.execPath,
      [BIN, 'train', 'cnn', '--epochs', String(EPOCHS), '--data-dir', dataDir, '--out', out, '--seed', '4', '--quiet'],
      {
        cwd: root,
        env: env(),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    for (let i = 0; i < 1200 && (await epochsDone(out)) < 1; i++) await new Promise((r) => setTimeout(r, 50));
    child.kill('SIGINT');
    const code = await exited;

    expect(code, stderr).toBe(130);
    expect(stderr).toContain(`dl train --resume ${out}`);
    const done = await epochsDone(out);
    expect(done).toBeGreaterThanOrEqual(1);
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);

    const resumed = await dl('train', '--resume', out, '--json');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(await epochsDone(out)).toBe(EPOCHS);
  });
});
