// `dl predict` end to end on a slice of the real IMDB: dl train text-classifier → vocabulary.json beside the model →
// dl predict labels obvious reviews right → dl evaluate reproduces the metrics; and its usage errors (exit 2).
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cnn } from '@dl/models';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeRealImdbSlice } from '../../models/test/text-fixtures.js';
import { lastJsonLine, readJson, runDl, STACK_LINE, type RunResult, tempFolderForFile, dlIn } from './run-dl.js';

/** Reviews per block of the slice: 2 × PER_BLOCK training and test reviews, half of each positive. */
const PER_BLOCK = 1000;

const POSITIVE =
  'This movie was wonderful. The acting was brilliant and the story beautiful and moving. One of the best films I have ' +
  'ever seen, a true masterpiece. I loved it and highly recommend it.';
const NEGATIVE =
  'This was the worst movie I have ever seen. Terrible acting, a boring and stupid plot, awful dialogue. ' +
  'A complete waste of time and money. Avoid it.';

let root: string;
let dataDir: string;
const dl = dlIn(() => root);
/** `dl ...args` with `input` on its standard input. */
const dlWithInput = (input: string, ...args: string[]): Promise<RunResult> =>
  runDl(args, { cwd: root, env: { DL_DATASETS_DIR: join(root, 'empty-cache') }, input });
/** A long review, over 1 MB: too long for a command-line argument (Linux limits one to 128 kB). */
const LONG_REVIEW = `${POSITIVE} `.repeat(Math.ceil(1_100_000 / (POSITIVE.length + 1)));
const NO_KNOWN_WORDS = 'zzqxv qqwzx xxyzzq';

tempFolderForFile(async (dir) => {
  root = dir;
  dataDir = join(root, 'imdb-slice');
  await writeRealImdbSlice(dataDir, PER_BLOCK);
});

describe('dl train text-classifier → dl predict', () => {
  let out: string;
  let train: RunResult;

  beforeAll(async () => {
    out = join(root, 'text-run');
    train = await dl('train', 'text-classifier', '--data-dir', dataDir, '--out', out, '--epochs', '3', '--seed', '1', '--json');
  });

  it('trains, beating chance clearly on the test slice', () => {
    expect(train.code, train.stderr).toBe(0);
    const line = lastJsonLine(train.stdout);
    expect(line).toMatchObject({ preset: 'text-classifier', out, epochs: 3 });
    expect(line['accuracy']).toBeGreaterThan(0.7);
    expect(train.stderr).toContain(`Training 'text-classifier' on ${2 * PER_BLOCK} samples`);
    expect(train.stderr).toContain(`(${2 * PER_BLOCK} samples)`);
  });

  it('saves vocabulary.json beside the model: the words, then the bigrams', async () => {
    const files = await readdir(out);
    expect(files).toEqual(expect.arrayContaining(['model.json', 'vocabulary.json', 'metrics.json', 'run.json']));
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([]);
    const vocabulary = await readJson(join(out, 'vocabulary.json'));
    expect(vocabulary['format']).toBe('dl-text-vectorization');
    const words = vocabulary['vocabulary'] as string[];
    expect(words.slice(0, 3)).toEqual(['', '[UNK]', 'the']);
    expect(words.filter((w) => w.includes(' ')).length).toBeGreaterThan(1000);
    expect((await readJson(join(out, 'model.json')))['userDefinedMetadata']).toEqual({ preset: 'text-classifier', dataset: 'imdb' });
  });

  it('--json: one line with the probability and the right label for an obviously positive review', async () => {
    const r = await dl('predict', out, '--text', POSITIVE, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    const line = lastJsonLine(r.stdout);
    expect(Object.keys(line).sort()).toEqual(['knownTokens', 'label', 'probability']);
    expect(line['knownTokens']).toBeGreaterThan(10);
    expect(line['label']).toBe('positive');
    expect(line['probability']).toBeGreaterThan(0.5);
    expect(line['probability']).toBeLessThanOrEqual(1);
  });

  it('labels an obviously negative review negative, printing label and probability', async () => {
    const r = await dl('predict', out, '--text', NEGATIVE);
    expect(r.code, r.stderr).toBe(0);
    const match = /^negative \(probability of positive: (0\.\d{4})\)$/m.exec(r.stdout);
    expect(match, r.stdout).not.toBeNull();
    expect(Number(match![1])).toBeLessThan(0.5);
  });

  it('--file PATH reads the text from a file: a 1 MB review works', async () => {
    const file = join(root, 'long-review.txt');
    await writeFile(file, LONG_REVIEW);
    expect(LONG_REVIEW.length).toBeGreaterThan(1_000_000);
    const r = await dl('predict', out, '--file', file, '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(lastJsonLine(r.stdout)['label']).toBe('positive');
    expect(r.stderr).not.toContain('warning');
  });

  it('--file - reads the text from standard input, the same answer as --text', async () => {
    const piped = await dlWithInput(NEGATIVE, 'predict', out, '--file', '-', '--json');
    expect(piped.code, piped.stderr).toBe(0);
    const direct = await dl('predict', out, '--text', NEGATIVE, '--json');
    expect(lastJsonLine(piped.stdout)).toEqual(lastJsonLine(direct.stdout));
    const long = await dlWithInput(LONG_REVIEW, 'predict', out, '--file', '-', '--json');
    expect(long.code, long.stderr).toBe(0);
    expect(lastJsonLine(long.stdout)['label']).toBe('positive');
  });

  it('an empty or all-unknown text: still an answer, with a warning on stderr and knownTokens 0', async () => {
    for (const [text, why] of [
      ['', 'the text is empty'],
      [NO_KNOWN_WORDS, "none of the text's words are in the vocabulary"],
    ] as const) {
      const r = await dl('predict', out, '--text', text, '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`warning: ${why}: the prediction reflects the model's bias only`);
      expect(lastJsonLine(r.stdout)).toMatchObject({ knownTokens: 0, label: expect.any(String) });
      const human = await dl('predict', out, '--text', text);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stderr).toContain('warning:');
      expect(human.stdout).toMatch(/^(positive|negative) \(probability/m);
    }
  });

  it("accepts the run's export: float32 the same probability, float16 within 1e-3", async () => {
    const direct = lastJsonLine((await dl('predict', out, '--text', POSITIVE, '--json')).stdout);
    for (const [quantize, tolerance] of [
      ['float32', 1e-6],
      ['float16', 1e-3],
    ] as const) {
      const exported = join(root, `export-${quantize}`);
      const e = await dl('export', out, '--out', exported, ...(quantize === 'float16' ? ['--quantize', quantize] : []));
      expect(e.code, e.stderr).toBe(0);
      const r = await dl('predict', exported, '--text', POSITIVE, '--json');
      expect(r.code, r.stderr).toBe(0);
      const line = lastJsonLine(r.stdout);
      expect(line['label']).toBe(direct['label']);
      expect(Math.abs((line['probability'] as number) - (direct['probability'] as number))).toBeLessThan(tolerance);
    }
  });

  it('dl evaluate reproduces the saved accuracy', async () => {
    const metrics = await readJson(join(out, 'metrics.json'));
    const r = await dl('evaluate', out, '--data-dir', dataDir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const evaluated = lastJsonLine(r.stdout);
    expect(Math.abs((evaluated['accuracy'] as number) - (metrics['accuracy'] as number))).toBeLessThanOrEqual(0.001);
  });

  it('without vocabulary.json: exit 2 naming the file', async () => {
    const bare = join(root, 'no-vocabulary');
    await mkdir(bare);
    for (const f of await readdir(out)) if (f !== 'vocabulary.json' && f !== 'checkpoint') await copyFile(join(out, f), join(bare, f));
    const r = await dl('predict', bare, '--text', POSITIVE);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(bare, 'vocabulary.json'));
    expect(r.stderr).not.toMatch(STACK_LINE);
  });
});

describe('dl train lstm → dl predict', () => {
  it('saves the vocabulary and predicts a probability and a label', async () => {
    const out = join(root, 'lstm-run');
    const small = await writeRealImdbSlice(join(root, 'imdb-small'), 100); // 200 reviews per split: only the plumbing is tested
    const train = await dl('train', 'lstm', '--data-dir', small, '--out', out, '--epochs', '1', '--seed', '1', '--quiet');
    expect(train.code, train.stderr).toBe(0);
    // --quiet silences TF.js's advice too (on the pure-JS backend, building the lstm's 64×256 recurrent kernel prints one).
    expect(train.stderr).not.toContain('Orthogonal initializer');
    const words = (await readJson(join(out, 'vocabulary.json')))['vocabulary'] as string[];
    expect(words.slice(0, 3)).toEqual(['', '[UNK]', 'the']);
    expect(words.some((w) => w.includes(' '))).toBe(false); // single words only
    const r = await dl('predict', out, '--text', POSITIVE, '--json');
    expect(r.code, r.stderr).toBe(0);
    const line = lastJsonLine(r.stdout);
    expect(line['probability']).toEqual(expect.any(Number));
    expect(line['label']).toBe((line['probability'] as number) > 0.5 ? 'positive' : 'negative');
  });
});

describe('dl predict usage errors: exit 2, a clear message, no stack trace', () => {
  it('a cnn model does not take text', async () => {
    const dir = join(root, 'cnn-model');
    await cnn.build().save(dir, { metadata: { preset: 'cnn', dataset: 'mnist' } });
    const r = await dl('predict', dir, '--text', POSITIVE);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("'cnn' model");
    expect(r.stderr).toContain('lstm, text-classifier');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('exactly one of --text and --file', async () => {
    for (const args of [[], ['--text', 'Great!', '--file', '-']]) {
      const r = await dl('predict', join(root, 'anything'), ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('exactly one of --text');
      expect(r.stderr).toContain('--file');
    }
  });

  it('--file of a missing file or a folder: exit 2 naming it', async () => {
    const missing = join(root, 'no-such-review.txt');
    const r = await dl('predict', join(root, 'anything'), '--file', missing);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${missing}: not found`);
    expect(r.stderr).not.toMatch(STACK_LINE);
    const folder = await dl('predict', join(root, 'anything'), '--file', root);
    expect(folder.code).toBe(2);
    expect(folder.stderr).toContain(`${root}: is a folder`);
  });

  it('a folder without model.json', async () => {
    const r = await dl('predict', join(root, 'nowhere'), '--text', 'Great!');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(join(root, 'nowhere', 'model.json'));
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('dl predict --help lists its options', async () => {
    const r = await dl('predict', '--help');
    expect(r.code).toBe(0);
    for (const option of ['--text', '--file', '--json', '--quiet']) expect(r.stdout).toMatch(new RegExp(`^\\s+${option}\\b`, 'm'));
  });
});
