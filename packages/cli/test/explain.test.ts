// `dl explain` end to end: an image model's PNG (input | heatmap | overlay) from a test image and from a PNG file, a
// text model's coloured words, JSON and HTML page, and the usage errors (exit 2, nothing written, nothing overwritten).
// The models are untrained (the cnn preset; a small network in the lstm preset's place): the command's plumbing is under test here, the methods in core's explain.test.ts.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { layers, sequential, tf } from '@dl/core';
import { TextVectorization } from '@dl/data';
import { cnn, encodePng, lstm, saveVocabulary } from '@dl/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { dlIn, lastJsonLine, STACK_LINE, tempFolderForFile, writeRealMnistSlice } from './run-dl.js';

let root: string;
let dataDir: string;
let cnnDir: string;
let lstmDir: string;
const dl = dlIn(() => root);

/** Width and height from a PNG's IHDR chunk. */
const pngSize = (bytes: Buffer) => ({ width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) });

tempFolderForFile(async (dir) => {
  root = dir;
  dataDir = join(root, 'mnist');
  await writeRealMnistSlice(dataDir, { train: 10, test: 20 });
  cnnDir = join(root, 'cnn-model');
  await cnn.build().save(cnnDir, { metadata: { preset: 'cnn', dataset: 'mnist' } });
  lstmDir = join(root, 'lstm-model');
  // The lstm preset's input (200 token ids) into a far smaller network than the preset's, to keep the test quick.
  const small = sequential([
    layers.embedding({ inputDim: 100, outputDim: 4, inputLength: 200 }),
    layers.lstm({ units: 4 }),
    layers.dense({ units: 1, activation: 'sigmoid' }),
  ]);
  small.compile(lstm.compileOptions());
  await small.save(lstmDir, { metadata: { preset: 'lstm', dataset: 'imdb' } });
  await saveVocabulary(lstmDir, new TextVectorization({ maxTokens: 100 }).adapt(['a good movie', 'a bad movie', 'the plot']));
});

describe('dl explain, image models', () => {
  let first: { code: number | null; stdout: string; stderr: string };
  const out = () => join(root, 'digit.png');

  beforeAll(async () => {
    first = await dl('explain', cnnDir, '--index', '3', '--data-dir', dataDir, '--out', out(), '--json');
  });

  it('writes input, heatmap and overlay side by side and prints the predicted class', async () => {
    expect(first.code, first.stderr).toBe(0);
    const line = lastJsonLine(first.stdout);
    expect(line).toMatchObject({ method: 'ig', out: out(), label: expect.any(Number), predicted: expect.any(Number) });
    expect(line['target']).toBe(line['predicted']);
    // Three 28×28 panels at 8 screen pixels per pixel, 8 pixels apart.
    expect(pngSize(await readFile(out()))).toEqual({ width: 3 * 224 + 16, height: 224 });
    expect(first.stderr).toContain(`predicted class ${line['predicted']}`);
  });

  it('never writes over a file: the same --out again exits 2 and leaves it as it was', async () => {
    const before = await readFile(out());
    const again = await dl('explain', cnnDir, '--index', '4', '--data-dir', dataDir, '--out', out());
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists: dl does not write over it');
    expect(await readFile(out())).toEqual(before);
  });

  it('explains a PNG file, resized to the model input, with Grad-CAM', async () => {
    const image = join(root, 'drawn.png');
    // A white diagonal stroke on black, 40×40.
    const pixels = tf.tensor3d(
      Int32Array.from({ length: 1600 }, (_, k) => (k % 41 === 0 ? 255 : 0)),
      [40, 40, 1],
      'int32',
    );
    await writeFile(image, await encodePng(pixels as never));
    pixels.dispose();
    const r = await dl('explain', cnnDir, '--image', image, '--method', 'gradcam', '--target', '3', '--json');
    expect(r.code, r.stderr).toBe(0);
    const line = lastJsonLine(r.stdout);
    expect(line).toMatchObject({ method: 'gradcam', target: 3, out: join(root, 'explain-drawn-gradcam.png') });
    expect(line).not.toHaveProperty('label');
    expect(existsSync(join(root, 'explain-drawn-gradcam.png'))).toBe(true);
  });

  it('usage errors exit 2 with the option named and nothing written', async () => {
    const cases: Array<[string[], string]> = [
      [['--data-dir', dataDir], 'exactly one of --index N'],
      [['--index', '0', '--method', 'lime'], '--method lime: use one of ig, smoothgrad, gradxinput, gradcam'],
      [['--index', '0', '--method', 'gradcam', '--steps', '8'], '--steps is for --method ig'],
      [['--index', '20', '--data-dir', dataDir], '--index 20: the test split has 20 images'],
      [['--image', join(cnnDir, 'model.json')], 'is not an image dl can read'],
      [['--index', '0', '--out', 'picture.jpg', '--data-dir', dataDir], 'must end in .png'],
    ];
    for (const [args, message] of cases) {
      const r = await dl('explain', cnnDir, ...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).not.toMatch(STACK_LINE);
    }
    expect(existsSync(join(root, 'picture.jpg'))).toBe(false);
    const notModel = await dl('explain', root, '--index', '0');
    expect(notModel.code).toBe(2);
    expect(notModel.stderr).toContain('model.json not found');
  });
});

describe('dl explain, text models', () => {
  const REVIEW = 'A good movie, the plot!';

  it('gives each word a score (--json) and marks the strong ones when not a terminal', async () => {
    const r = await dl('explain', lstmDir, '--text', REVIEW, '--json');
    expect(r.code, r.stderr).toBe(0);
    const line = lastJsonLine(r.stdout);
    expect(line).toMatchObject({ method: 'ig', label: expect.stringMatching(/^(positive|negative)$/) });
    const tokens = line['tokens'] as Array<{ token: string; score: number }>;
    expect(tokens.map((t) => t.token)).toEqual(['a', 'good', 'movie', 'the', 'plot']);
    expect(tokens.every((t) => Number.isFinite(t.score))).toBe(true);
    expect(tokens.some((t) => t.score !== 0)).toBe(true);
    const plain = await dl('explain', lstmDir, '--text', REVIEW, '--method', 'gradxinput');
    expect(plain.code, plain.stderr).toBe(0);
    // Not a TTY: the largest score's word is marked, and no escape codes are printed.
    expect(plain.stdout).toMatch(/\[[+-](a|good|movie|the|plot)\]/);
    expect(plain.stdout).not.toContain('\x1b[');
  });

  it('writes an HTML page with the words coloured, and never over an existing file', async () => {
    const page = join(root, 'review.html');
    const r = await dl('explain', lstmDir, '--text', REVIEW, '--html', page, '--quiet');
    expect(r.code, r.stderr).toBe(0);
    const html = await readFile(page, 'utf8');
    expect(html).toContain('<span style="background:rgba(');
    expect(html).toContain('>good</span>');
    const again = await dl('explain', lstmDir, '--text', REVIEW, '--html', page);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists: dl does not write over it');
    expect(await readFile(page, 'utf8')).toBe(html);
    const bad = await dl('explain', lstmDir, '--text', REVIEW, '--method', 'gradcam');
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toContain('--method gradcam needs a convolutional model');
  });
});
