import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Callback, CSVLogger, setSeed, type Logs } from '../src/index.js';
import { compiledClassifier, separable, tempDir } from './helpers.js';

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const { x, y } = separable(16, 1);
const fitOptions = { batchSize: 8, verbose: 0 as const };

async function lines(file: string): Promise<string[]> {
  return (await readFile(file, 'utf8')).split('\n');
}

describe('CSVLogger', () => {
  it('writes a header (epoch, then the log names in order) and one row per epoch, each as soon as its epoch ends', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const file = join(root, 'runs', 'log.csv');
    const onDisk: string[][] = [];
    class ReadBack extends Callback {
      override async onEpochEnd(): Promise<void> {
        onDisk.push(await lines(file));
      }
    }
    const history = await model.fit(x, y, { ...fitOptions, epochs: 3, callbacks: [new CSVLogger({ filename: file }), new ReadBack()] });

    const { loss, accuracy } = history.history as { loss: number[]; accuracy: number[] };
    const expected = ['epoch,accuracy,loss', ...[0, 1, 2].map((e) => `${e},${accuracy[e]},${loss[e]}`), ''];
    expect(await lines(file)).toEqual(expected);
    // A run killed after epoch N keeps the rows up to N.
    expect(onDisk).toEqual([expected.slice(0, 2).concat(''), expected.slice(0, 3).concat(''), expected]);
    // The values read back exactly.
    expect(Number(expected[2]!.split(',')[2])).toBe(loss[1]);
  });

  it('with append continues the file under its header; without, starts it over', async () => {
    setSeed(2);
    const model = compiledClassifier();
    const file = join(root, 'append.csv');
    await model.fit(x, y, { ...fitOptions, epochs: 2, callbacks: [new CSVLogger({ filename: file })] });
    await model.fit(x, y, { ...fitOptions, epochs: 4, initialEpoch: 2, callbacks: [new CSVLogger({ filename: file, append: true })] });
    let text = await lines(file);
    expect(text).toHaveLength(6);
    expect(text[0]).toBe('epoch,accuracy,loss');
    expect(text.slice(1, 5).map((l) => l.split(',')[0])).toEqual(['0', '1', '2', '3']);
    expect(text.filter((l) => l.startsWith('epoch'))).toHaveLength(1);

    await model.fit(x, y, { ...fitOptions, epochs: 1, callbacks: [new CSVLogger({ filename: file })] });
    text = await lines(file);
    expect(text).toHaveLength(3);
    expect(text[1]!.startsWith('0,')).toBe(true);
  });

  it('appending to a missing or empty file writes the header', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const file = join(root, 'fresh.csv');
    await model.fit(x, y, { ...fitOptions, epochs: 1, callbacks: [new CSVLogger({ filename: file, append: true })] });
    expect((await lines(file))[0]).toBe('epoch,accuracy,loss');
  });

  it("uses the existing header's columns when appending, writes NA for missing values, and starts a row cut short by a crash on a new line", async () => {
    const file = join(root, 'existing.csv');
    await writeFile(file, 'epoch;loss;val_loss\n0;0.5;0.6\n');
    await appendFile(file, '1;0.4'); // a row whose write was cut short
    const logger = new CSVLogger({ filename: file, separator: ';', append: true });
    await logger.onTrainBegin();
    await logger.onEpochEnd(2, { loss: 0.3, accuracy: 0.9 });
    expect(await lines(file)).toEqual(['epoch;loss;val_loss', '0;0.5;0.6', '1;0.4', '2;0.3;NA', '']);
  });

  it('takes the columns from the first epoch: later names are left out, missing ones written NA', async () => {
    const file = join(root, 'columns.csv');
    const logger = new CSVLogger({ filename: file });
    await logger.onTrainBegin();
    const epochs: Logs[] = [
      { val_loss: 2, loss: 1 },
      { loss: 0.5, extra: 3 },
    ];
    for (const [i, logs] of epochs.entries()) await logger.onEpochEnd(i, logs);
    expect(await lines(file)).toEqual(['epoch,loss,val_loss', '0,1,2', '1,0.5,NA', '']);
  });

  it('rejects an empty separator', () => {
    expect(() => new CSVLogger({ filename: 'x.csv', separator: '' })).toThrow('CSVLogger: separator must be a non-empty string');
  });
});
