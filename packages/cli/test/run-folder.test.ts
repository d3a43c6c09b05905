// A run folder has one writer and dl never writes over what it did not write: concurrent trainings, --out at folders
// that are not new, run.json and checkpoints that do not fit, finished runs, and --epochs on resume.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, readJson, runDl, STACK_LINE, writeRealMnistSlice, type RunResult, tempFolderForFile } from './run-dl.js';

let root: string;
let dataDir: string;
const env = () => ({ DL_DATASETS_DIR: join(root, 'empty-cache') });
const dl = (...args: string[]): Promise<RunResult> => runDl(args, { cwd: root, env: env() });
const small = () => ['--epochs', '1', '--data-dir', dataDir, '--quiet'];

tempFolderForFile(async (dir) => {
  root = dir;
  dataDir = join(root, 'mnist-slice');
  await writeRealMnistSlice(dataDir, { train: 300, test: 100 });
});

/** Every file under `dir` with a hash of its bytes. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of (await readdir(dir, { recursive: true })) as string[]) {
    const bytes = await readFile(join(dir, name)).catch(() => undefined); // folders
    if (bytes !== undefined) out[name] = createHash('sha256').update(bytes).digest('hex');
  }
  return out;
}

describe('one writer per run folder', () => {
  it("two concurrent `dl train --out SAME`: one fails at once naming the other's pid, the other's run is intact and loadable", async () => {
    const out = join(root, 'same');
    const [a, b] = await Promise.all([
      dl('train', 'cnn', ...small(), '--out', out, '--json'),
      dl('train', 'cnn', ...small(), '--out', out, '--json'),
    ]);
    const [winner, loser] = a.code === 0 ? [a, b] : [b, a];
    expect(winner.code, winner.stderr).toBe(0);
    expect(loser.code, loser.stderr).toBe(2);
    expect(loser.stderr).toMatch(/is in use by process \d+ .*a run folder has one writer/);
    expect(loser.stderr).not.toMatch(STACK_LINE);
    const holderPid = /is in use by process (\d+)/.exec(loser.stderr)![1];
    expect(loser.stderr).toContain(`kill ${holderPid}`);
    const evaluated = await dl('evaluate', out, '--data-dir', dataDir, '--json');
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(lastJsonLine(evaluated.stdout)['accuracy']).toBeCloseTo(lastJsonLine(winner.stdout)['accuracy'] as number, 4);
    expect((await readJson(join(out, 'history.json')))['epoch']).toEqual([0]);
    expect(existsSync(join(out, '.run.lock'))).toBe(false);
  });

  it('two concurrent runs with the default --out get two folders', async () => {
    const cwd = join(root, 'defaults');
    await mkdir(cwd);
    const run = () => runDl(['train', 'cnn', ...small(), '--json'], { cwd, env: env() });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const outs = [lastJsonLine(a.stdout)['out'], lastJsonLine(b.stdout)['out']];
    expect(new Set(outs).size).toBe(2);
    expect((await readdir(join(cwd, 'runs'))).sort()).toHaveLength(2);
  });

  it('a second `--resume` of a run being trained fails at once, naming the writer', async () => {
    const out = join(root, 'resumed-twice');
    const first = await dl('train', 'cnn', ...small(), '--out', out);
    expect(first.code, first.stderr).toBe(0);
    const [a, b] = await Promise.all([
      dl('train', '--resume', out, '--epochs', '2', '--quiet'),
      dl('train', '--resume', out, '--epochs', '2', '--quiet'),
    ]);
    const codes = [a.code, b.code].sort();
    // Either the second saw the first's lock, or it came after the first had finished (then: "is finished").
    if (codes[1] === 2) expect([a, b].find((r) => r.code === 2)!.stderr).toMatch(/is in use by process \d+/);
    expect(codes[0]).toBe(0);
    expect((await readJson(join(out, 'history.json')))['epoch']).toEqual([0, 1]);
  });
});

describe('--out never overwrites what dl did not write', () => {
  it("a folder with the user's files: exit 2 naming the folder, every file byte-identical", async () => {
    const out = join(root, 'users-folder');
    await mkdir(join(out, 'notes'), { recursive: true });
    await writeFile(join(out, 'model.json'), '{"mine": true}');
    await writeFile(join(out, 'metrics.json'), '[1, 2, 3]');
    await writeFile(join(out, 'weights.bin'), Buffer.from([1, 2, 3, 4]));
    await writeFile(join(out, 'notes', 'todo.txt'), 'keep me');
    const before = await snapshot(out);
    const result = await dl('train', 'cnn', ...small(), '--out', out);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`--out ${out} is not empty and not a dl run`);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(await snapshot(out)).toEqual(before);
  });

  it("another run's checkpoint/, an empty --out, a file: exit 2, nothing changed", async () => {
    const run = join(root, 'a-run');
    expect((await dl('train', 'cnn', ...small(), '--out', run)).code).toBe(0);
    const before = await snapshot(run);
    const intoCheckpoint = await dl('train', 'cnn', ...small(), '--out', join(run, 'checkpoint'));
    expect(intoCheckpoint.code).toBe(2);
    expect(intoCheckpoint.stderr).toContain(join(run, 'checkpoint'));
    const empty = await dl('train', 'cnn', ...small(), '--out', '');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('--out is an empty string');
    const file = await dl('train', 'cnn', ...small(), '--out', join(run, 'run.json'));
    expect(file.code).toBe(2);
    expect(file.stderr).toContain('is a file, not a folder');
    expect(await snapshot(run)).toEqual(before);
  });

  it('a dl run of the same preset: "continue it with --resume"; of another preset: choose another --out', async () => {
    const run = join(root, 'a-run');
    if (!existsSync(join(run, 'metrics.json'))) expect((await dl('train', 'cnn', ...small(), '--out', run)).code).toBe(0);
    const same = await dl('train', 'cnn', ...small(), '--out', run);
    expect(same.code).toBe(2);
    expect(same.stderr).toContain(`continue it with --resume ${run}`);
    const other = await dl('train', 'gan', ...small(), '--out', run);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("already holds a run of 'cnn', not 'gan'");
  });

  it("an empty folder, or one holding only a killed run's lock, is used", async () => {
    const out = join(root, 'empty-with-stale-lock');
    await mkdir(out);
    await writeFile(
      join(out, '.run.lock'),
      JSON.stringify({ pid: 2 ** 22 + 7, host: (await import('node:os')).hostname(), token: 'dead', since: Date.now() }),
    );
    const result = await dl('train', 'cnn', ...small(), '--out', out);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(out, 'metrics.json'))).toBe(true);
  });
});

describe('--resume checks the run before training', () => {
  let run: string;
  beforeAll(async () => {
    run = join(root, 'finished');
    expect((await dl('train', 'cnn', '--epochs', '2', '--data-dir', dataDir, '--seed', '1', '--out', run)).code).toBe(0);
  });

  /** A copy of the finished run to damage. */
  async function copyOf(name: string): Promise<string> {
    const dir = join(root, name);
    await cp(run, dir, { recursive: true });
    return dir;
  }

  it('a finished run says it is finished (exit 0) and changes nothing', async () => {
    const before = await snapshot(run);
    const result = await dl('train', '--resume', run, '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain(`${run} is finished: 2 of 2 epochs trained`);
    expect(lastJsonLine(result.stdout)).toMatchObject({ finished: true, epochs: 2 });
    expect(await snapshot(run)).toEqual(before);
  });

  it('a finished run whose checkpoint was deleted is still finished: never retrained over its model', async () => {
    const dir = await copyOf('finished-no-checkpoint');
    await rm(join(dir, 'checkpoint'), { recursive: true });
    const before = await snapshot(dir);
    const result = await dl('train', '--resume', dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('is finished');
    expect(await snapshot(dir)).toEqual(before);
    const longer = await dl('train', '--resume', dir, '--epochs', '3');
    expect(longer.code).toBe(2);
    expect(longer.stderr).toContain(`${join(dir, 'checkpoint')} is missing, but ${dir} has trained 2 epochs`);
    expect(await snapshot(dir)).toEqual(before);
  });

  it('an unfinished run whose checkpoint is missing is an error', async () => {
    const dir = await copyOf('unfinished-no-checkpoint');
    await rm(join(dir, 'checkpoint'), { recursive: true });
    await rm(join(dir, 'metrics.json'));
    const result = await dl('train', '--resume', dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is missing');
    expect(existsSync(join(dir, 'metrics.json'))).toBe(false);
  });

  it('--epochs below what is done is an error; a larger one is recorded in run.json and trained', async () => {
    const dir = await copyOf('extended');
    const fewer = await dl('train', '--resume', dir, '--epochs', '1');
    expect(fewer.code).toBe(2);
    expect(fewer.stderr).toContain('--epochs 1 is fewer than the 2 epochs');
    const more = await dl('train', '--resume', dir, '--epochs', '3', '--json');
    expect(more.code, more.stderr).toBe(0);
    expect(more.stderr).toContain('after epoch 2 of 3');
    expect((await readJson(join(dir, 'run.json')))['epochs']).toBe(3);
    expect((await readJson(join(dir, 'history.json')))['epoch']).toEqual([0, 1, 2]);
  });

  it('run.json with bad values: each bad field named, exit 2', async () => {
    const dir = await copyOf('bad-run-json');
    await rm(join(dir, 'metrics.json'));
    await writeFile(
      join(dir, 'run.json'),
      JSON.stringify({ preset: 'cnn', epochs: 2, batchSize: 0, limit: -3, seed: 1.5, learningRate: 'fast' }),
    );
    const result = await dl('train', '--resume', dir);
    expect(result.code).toBe(2);
    for (const field of [
      '"batchSize" must be a whole number ≥ 1, found 0',
      '"limit" must be a whole number ≥ 1, found -3',
      '"seed" must be a whole number ≥ 0, found 1.5',
      '"learningRate" must be a number > 0, found "fast"',
    ]) {
      expect(result.stderr).toContain(field);
    }
    expect(result.stderr).not.toMatch(STACK_LINE);
    await writeFile(join(dir, 'run.json'), JSON.stringify({ preset: 'nope', epochs: 2, batchSize: 8 }));
    const unknown = await dl('train', '--resume', dir);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown preset 'nope'");
  });

  it('a checkpoint of another preset, or of another network, is refused before the data loads', async () => {
    const dir = await copyOf('other-preset');
    await rm(join(dir, 'metrics.json'));
    const modelJson = join(dir, 'checkpoint', 'model.json');
    const json = JSON.parse(await readFile(modelJson, 'utf8'));
    json.userDefinedMetadata.preset = 'text-classifier';
    await writeFile(modelJson, JSON.stringify(json));
    const result = await dl('train', '--resume', dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("is a checkpoint of preset 'text-classifier'");

    // Weights of another shape under the right preset name (same bytes, so the files are consistent): refused by shape.
    json.userDefinedMetadata.preset = 'cnn';
    const kernel = json.weightsManifest[0].weights.find((w: { name: string }) => w.name === 'dense_1/kernel');
    kernel.shape = [640, 1];
    await writeFile(modelJson, JSON.stringify(json));
    const reshaped = await dl('train', '--resume', dir);
    expect(reshaped.code).toBe(2);
    expect(reshaped.stderr).toContain(`${modelJson}: weight 9 ('dense_1/kernel') has the shape [640, 1], but the model's`);
    expect(reshaped.stderr).toContain('it is a save of another network');
    expect(reshaped.stderr).not.toMatch(STACK_LINE);
    expect(reshaped.stderr).not.toMatch(/^Epoch /m);
    expect(reshaped.stderr).not.toMatch(/MNIST:/); // refused before the data loads, not after
  });
});
