// Bad files in --data-dir: exit 2, the message names the file, no stack trace unless --verbose.
import { truncate, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeIdx, images, labels, writeIdx, writeMnist } from '../../data/test/idx-fixtures.js';
import { runDl, STACK_LINE, type RunResult, tempFolderForFile } from './run-dl.js';

let root: string;
let caseNo = 0;

tempFolderForFile((dir) => {
  root = dir;
});

/** A fresh, valid, tiny MNIST data dir (3 train, 2 test samples, raw IDX) for one case to damage. */
async function fixture(): Promise<string> {
  const dir = join(root, `data-${++caseNo}`);
  await writeMnist(dir, { train: 3, test: 2 });
  return dir;
}

function train(dataDir: string, ...extra: string[]): Promise<RunResult> {
  const out = join(root, `out-${caseNo}`);
  return runDl(['train', 'cnn', '--epochs', '1', '--data-dir', dataDir, '--out', out, ...extra], {
    cwd: root,
    env: { DL_DATASETS_DIR: join(root, 'empty-cache') },
  });
}

/** Exit 2 with one `error:` line naming `file`, and no stack trace. */
function expectDataError(r: RunResult, file: string): void {
  expect(r.code, r.stderr).toBe(2);
  const errorLine = r.stderr.split('\n').find((line) => line.startsWith('error: '));
  expect(errorLine, r.stderr).toBeDefined();
  expect(errorLine).toContain(file);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stdout).not.toMatch(/Training|Epoch/);
}

describe('dl train with bad files in --data-dir', () => {
  it('a missing file: names it', async () => {
    const dir = await fixture();
    await unlink(join(dir, 't10k-labels-idx1-ubyte'));
    const r = await train(dir);
    expectDataError(r, join(dir, 't10k-labels-idx1-ubyte'));
    expect(r.stderr).toContain('not found');
  });

  it('a data dir that does not exist: names it', async () => {
    const dir = join(root, 'no-such-dir');
    const r = await train(dir);
    expectDataError(r, dir);
    expect(r.stderr).toContain('does not exist');
  });

  it('a wrong magic number: names the file and the magic number', async () => {
    const dir = await fixture();
    const file = join(dir, 'train-images-idx3-ubyte');
    const bytes = encodeIdx([3, 28, 28], images(3));
    bytes.writeUInt32BE(0x00000d03, 0); // 0x0d: float data type, not unsigned bytes
    await writeFile(file, bytes);
    const r = await train(dir);
    expectDataError(r, file);
    expect(r.stderr).toContain('magic number 0x00000d03');
  });

  it('labels stored as an images file (wrong dimension count): names the file', async () => {
    const dir = await fixture();
    const file = join(dir, 'train-labels-idx1-ubyte');
    await writeIdx(file, [3, 28, 28], images(3));
    const r = await train(dir);
    expectDataError(r, file);
    expect(r.stderr).toContain('magic number');
  });

  it('a truncated file: names it', async () => {
    const dir = await fixture();
    const file = join(dir, 't10k-images-idx3-ubyte');
    await truncate(file, 16 + 784 + 100); // header, one image and a bit of the second
    const r = await train(dir);
    expectDataError(r, file);
    expect(r.stderr).toContain('truncated');
  });

  it('a corrupt gzip file: names it', async () => {
    const dir = await fixture();
    await unlink(join(dir, 'train-images-idx3-ubyte'));
    const file = join(dir, 'train-images-idx3-ubyte.gz');
    await writeFile(file, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7]));
    const r = await train(dir);
    expectDataError(r, file);
    expect(r.stderr).toContain('gzip');
  });

  it('image and label counts that differ: names both files and both counts', async () => {
    const dir = await fixture();
    const labelsFile = join(dir, 'train-labels-idx1-ubyte');
    await writeIdx(labelsFile, [4], labels(4));
    const r = await train(dir);
    expectDataError(r, join(dir, 'train-images-idx3-ubyte'));
    expect(r.stderr).toContain(labelsFile);
    expect(r.stderr).toMatch(/3 images/);
    expect(r.stderr).toMatch(/4 labels/);
  });

  it('--verbose prints the stack trace', async () => {
    const dir = await fixture();
    const file = join(dir, 't10k-images-idx3-ubyte');
    await truncate(file, 100);
    const r = await train(dir, '--verbose');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('DatasetError');
    expect(r.stderr).toMatch(STACK_LINE);
  });

  it('--verbose before the command prints the stack trace too', async () => {
    const dir = await fixture();
    await unlink(join(dir, 'train-labels-idx1-ubyte'));
    const r = await runDl(['--verbose', 'train', 'cnn', '--epochs', '1', '--data-dir', dir, '--out', join(root, 'out-v')], {
      cwd: root,
      env: { DL_DATASETS_DIR: join(root, 'empty-cache') },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(dir, 'train-labels-idx1-ubyte'));
    expect(r.stderr).toMatch(STACK_LINE);
  });
});
