// Model folders dl must refuse with exit 2 and a message naming the file, instead of hanging or answering wrongly
// (issue 17, list 8): a FIFO named model.json, weights that are not finite.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cnn } from '@dl/models';
import { describe, expect, it } from 'vitest';
import { readJson, runDl, STACK_LINE, type RunResult, tempFolderForFile } from './run-dl.js';

let root: string;
/** A hang is the bug under test: fail in 30 s rather than the default 100 s. */
const dl = (...args: string[]): Promise<RunResult> =>
  runDl(args, { cwd: root, env: { DL_DATASETS_DIR: join(root, 'empty-cache') }, timeoutMs: 30_000 });

tempFolderForFile((dir) => {
  root = dir;
});

describe('a FIFO named model.json', () => {
  it('evaluate, predict, summary and generate exit 2 naming it at once, without opening it', async () => {
    const dir = join(root, 'fifo-model');
    await mkdir(dir);
    const fifo = join(dir, 'model.json');
    execFileSync('mkfifo', [fifo]);
    for (const args of [
      ['evaluate', dir],
      ['predict', dir, '--text', 'Great!'],
      ['summary', dir],
      ['generate', dir, '--out', join(root, 'samples.png')],
    ]) {
      const r = await dl(...args);
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(fifo);
      expect(r.stderr).toContain('is a FIFO (named pipe), not a regular file');
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
  });
});

describe('a model whose weights are not finite', () => {
  it('dl evaluate exits 2 naming the weights file and the weight, before loading any data', async () => {
    const dir = join(root, 'nan-model');
    await cnn.build().save(dir, { metadata: { preset: 'cnn', dataset: 'mnist' } });
    const group = ((await readJson(join(dir, 'model.json')))['weightsManifest'] as { paths: string[] }[])[0]!;
    const weightsFile = join(dir, group.paths[0]!);
    const bytes = await readFile(weightsFile);
    bytes.writeFloatLE(Number.NaN, 4); // the second value of the first weight (the first conv kernel)
    await writeFile(weightsFile, bytes);
    const r = await dl('evaluate', dir);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`${weightsFile}: the model's weights are not finite`);
    expect(r.stderr).toMatch(/\(conv2d\w*\/kernel holds NaN or infinity\)/);
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});
