// `dl summary <preset|DIR>`: Keras's layer table for a preset's network and for a saved model.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRealMnistSlice, tempFolderForFile, dlIn } from './run-dl.js';

let root: string;
const dl = dlIn(() => root);

tempFolderForFile((dir) => {
  root = dir;
});

describe('dl summary', () => {
  it("prints the cnn preset's table with its 93,322 parameters", async () => {
    const r = await dl('summary', 'cnn');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Layer \(type\)\s+┃\s+Output Shape/);
    expect(r.stdout).toMatch(/conv2d\w* \(Conv2D\)\s+│ \(None, 26, 26, 32\)/);
    expect(r.stdout).toContain('Total params: 93,322');
  });

  it('prints the same table for a model saved by dl train', async () => {
    const data = join(root, 'mnist');
    await writeRealMnistSlice(data, { train: 200, test: 100 });
    const out = join(root, 'run');
    const train = await dl('train', 'cnn', '--epochs', '1', '--data-dir', data, '--out', out, '--quiet');
    expect(train.code, train.stderr).toBe(0);
    const r = await dl('summary', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Total params: 93,322');
    expect(r.stdout).toContain('(None, 10)');
  });

  it('names the valid presets for an unknown name', async () => {
    const r = await dl('summary', 'nope');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cnn');
  });
});
