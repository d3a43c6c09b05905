// exportModel / loadExport as a library user calls them, on preset networks saved as `dl train` saves them (untrained:
// what is tested is the folder, not the accuracy).
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelFileError, OptionError, setSeed, type Tensor, tf } from '@dl/core';
import { TextVectorization, tokenizerModulePath } from '@dl/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cnn, type DlModelJson, exportModel, loadExport, loadSourceModel, lstm, saveVocabulary } from '../src/index.js';

let root: string;
let cnnRun: string;
let lstmRun: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dl-export-model-'));
  setSeed(1);
  cnnRun = join(root, 'cnn-run');
  await cnn.build().save(cnnRun, { metadata: { preset: 'cnn', dataset: 'mnist' } });
  lstmRun = join(root, 'lstm-run');
  await lstm.build().save(lstmRun, { metadata: { preset: 'lstm', dataset: 'imdb' } });
  await saveVocabulary(lstmRun, new TextVectorization({ maxTokens: 20_000 }).setVocabulary(['the', 'movie', 'good', 'bad']));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('exportModel', () => {
  it('writes a cnn export whose model loads back (loadExport) and predicts as the run, within uint8 rounding', async () => {
    const out = join(root, 'cnn-uint8');
    const result = await exportModel(cnnRun, out, { quantize: 'uint8' });
    expect(result.files.map((f) => f.name)).toEqual(['dl-model.json', 'group1-shard1of1.bin', 'model.json']);
    expect(result.files.find((f) => f.name === 'group1-shard1of1.bin')!.bytes).toBe(93_322);
    expect(result.meta).toMatchObject({ kind: 'image-classifier', quantization: 'uint8', pixelRange: [0, 1], source: { dir: cnnRun } });
    expect(JSON.parse(await readFile(join(out, 'dl-model.json'), 'utf8'))).toEqual(result.meta);
    const exported = await loadExport(out);
    const { model: source } = await loadSourceModel(cnnRun);
    const x = tf.randomUniform([8, 28, 28, 1], 0, 1, 'float32', 3);
    const diff = tf.max(tf.abs(tf.sub(exported.model.predict<Tensor>(x), source.predict<Tensor>(x)))).dataSync()[0]!;
    expect(diff).toBeLessThan(0.02);
    expect(diff).toBeGreaterThan(0);
  });

  it('a text preset: vocabulary.json copied, tokenizer.js copied byte for byte, textInput and labels described', async () => {
    const out = join(root, 'lstm-f16');
    const { meta } = await exportModel(lstmRun, out, { quantize: 'float16' });
    // 2.6 million float16 weights: two shards of at most 4 MB, as TF.js's converter splits them.
    expect((await readdir(out)).sort()).toEqual([
      'dl-model.json',
      'group1-shard1of2.bin',
      'group1-shard2of2.bin',
      'model.json',
      'tokenizer.js',
      'vocabulary.json',
    ]);
    expect(await readFile(join(out, 'tokenizer.js'), 'utf8')).toBe(await readFile(tokenizerModulePath(), 'utf8'));
    expect(await readFile(join(out, 'vocabulary.json'), 'utf8')).toBe(await readFile(join(lstmRun, 'vocabulary.json'), 'utf8'));
    expect(meta).toMatchObject<Partial<DlModelJson>>({
      kind: 'text-classifier',
      inputShape: [200],
      inputDtype: 'int32',
      output: { type: 'probability', shape: [1] },
      labels: ['negative', 'positive'],
      sequenceLength: 200,
      textInput: lstm.text!.input,
      quantization: 'float16',
    });
  });

  it('refuses a folder that is no run, an export, a non-empty out and a bad quantization, writing nothing', async () => {
    await expect(exportModel(join(root, 'nothing'), join(root, 'o1'))).rejects.toThrow(ModelFileError);
    await expect(exportModel(join(root, 'cnn-uint8'), join(root, 'o2'))).rejects.toThrow(/is an export already/);
    const busy = join(root, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'keep.txt'), 'mine');
    await expect(exportModel(cnnRun, busy)).rejects.toThrow(OptionError);
    expect(await readdir(busy)).toEqual(['keep.txt']);
    await expect(exportModel(cnnRun, join(root, 'o3'), { quantize: 'int4' as never })).rejects.toThrow(/float16, uint8, got "int4"/);
    const names = await readdir(root);
    expect(names.filter((n) => /^o\d$/.test(n) || n.includes('.export-'))).toEqual([]);
  });

  it('removes its temp folder when writing fails midway', async () => {
    const parent = join(root, 'midway');
    await mkdir(parent);
    const run = join(parent, 'run');
    await lstm.build().save(run, { metadata: { preset: 'lstm', dataset: 'imdb' } });
    await mkdir(join(run, 'vocabulary.json')); // exists, so the run is taken; copying it fails after the model is written
    await expect(exportModel(run, join(parent, 'out'))).rejects.toThrow();
    expect(await readdir(parent)).toEqual(['run']);
  });

  it('removes the temp folders a killed export left (their process is gone), and only those', async () => {
    const parent = join(root, 'killed');
    await mkdir(join(parent, '.out.export-999999999-abcd'), { recursive: true }); // beyond Linux's pid_max: no such process
    await mkdir(join(parent, `.out.export-${process.pid}-beef`)); // a live process's: left alone
    await exportModel(cnnRun, join(parent, 'out'));
    expect((await readdir(parent)).sort()).toEqual([`.out.export-${process.pid}-beef`, 'out']);
  });
});
