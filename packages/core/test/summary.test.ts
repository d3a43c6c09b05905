import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { layers as tfLayers, LayersModel } from '@tensorflow/tfjs';
import type { SymbolicTensor } from '../src/layer-types.js';
import { input, model } from '../src/functional.js';
import * as layers from '../src/layers.js';
import { summaryLines } from '../src/summary.js';
import { layersModelOf, tfl } from '../src/tfjs-layers-api.js';

const apply = (layer: { apply(x: SymbolicTensor | SymbolicTensor[]): unknown }, x: SymbolicTensor | SymbolicTensor[]) =>
  layer.apply(x) as SymbolicTensor;

/** The seed CNN, its layers named as Keras names them in a fresh session. */
function cnn(): LayersModel {
  return tfl.sequential({
    name: 'cnn',
    layers: [
      layers.conv2d({ filters: 32, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1], name: 'conv2d' }),
      layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d' }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', name: 'conv2d_1' }),
      layers.maxPooling2d({ poolSize: 2, name: 'max_pooling2d_1' }),
      layers.conv2d({ filters: 64, kernelSize: 3, activation: 'relu', name: 'conv2d_2' }),
      layers.flatten({ name: 'flatten' }),
      layers.dense({ units: 64, activation: 'relu', name: 'dense' }),
      layers.dense({ units: 10, activation: 'softmax', name: 'dense_1' }),
    ] as tfLayers.Layer[],
  });
}

/** Keras 3's summary of the seed CNN, on an 80-column terminal (table width 76). */
const CNN_SUMMARY = `
Model: "cnn"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ conv2d (Conv2D)                 │ (None, 26, 26, 32)     │           320 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d (MaxPooling2D)    │ (None, 13, 13, 32)     │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_1 (Conv2D)               │ (None, 11, 11, 64)     │        18,496 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ max_pooling2d_1 (MaxPooling2D)  │ (None, 5, 5, 64)       │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ conv2d_2 (Conv2D)               │ (None, 3, 3, 64)       │        36,928 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ flatten (Flatten)               │ (None, 576)            │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 64)             │        36,928 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │           650 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 93,322 (364.54 KB)
 Trainable params: 93,322 (364.54 KB)
 Non-trainable params: 0 (0.00 B)`
  .trim()
  .split('\n');

/** Two inputs joined, then dense and batch normalization: a graph, so the summary has `Connected to`. */
function twoInputs(): LayersModel {
  const a = input({ shape: [32], name: 'input_layer' });
  const b = input({ shape: [16], name: 'input_layer_1' });
  const joined = apply(layers.concatenate({ name: 'concatenate' }), [a, b]);
  const hidden = apply(layers.dense({ units: 4, name: 'dense' }), joined);
  return layersModelOf(
    model({ inputs: [a, b], outputs: apply(layers.batchNormalization({ name: 'batch_normalization' }), hidden), name: 'two_inputs' }),
  );
}

/** Keras 3's summary of `twoInputs()` at width 76: long cells wrap at spaces, a too-long word ends in `…`. */
const TWO_INPUTS_SUMMARY = `
Model: "two_inputs"
┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)        ┃ Output Shape      ┃    Param # ┃ Connected to      ┃
┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━┩
│ input_layer         │ (None, 32)        │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ input_layer_1       │ (None, 16)        │          0 │ -                 │
│ (InputLayer)        │                   │            │                   │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ concatenate         │ (None, 48)        │          0 │ input_layer[0][0… │
│ (Concatenate)       │                   │            │ input_layer_1[0]… │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ dense (Dense)       │ (None, 4)         │        196 │ concatenate[0][0] │
├─────────────────────┼───────────────────┼────────────┼───────────────────┤
│ batch_normalization │ (None, 4)         │         16 │ dense[0][0]       │
│ (BatchNormalizatio… │                   │            │                   │
└─────────────────────┴───────────────────┴────────────┴───────────────────┘
 Total params: 212 (848.00 B)
 Trainable params: 204 (816.00 B)
 Non-trainable params: 8 (32.00 B)`
  .trim()
  .split('\n');

/** The table's rows, as [layer, output shape, params, connected to?] with wrapped cell lines joined by a space. */
function rows(lines: string[]): string[][] {
  const result: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (line.startsWith('┡') || line.startsWith('├')) {
      current = undefined;
      continue;
    }
    if (!line.startsWith('│')) continue;
    const cells = line
      .slice(1, -1)
      .split('│')
      .map((c) => c.trim());
    if (!current) result.push((current = cells));
    else cells.forEach((c, i) => (current![i] = c ? `${current![i]} ${c}`.trim() : current![i]!));
  }
  return result;
}

describe('summaryLines', () => {
  let columns: string | undefined;
  beforeEach(() => {
    columns = process.env.COLUMNS;
  });
  afterEach(() => {
    if (columns === undefined) delete process.env.COLUMNS;
    else process.env.COLUMNS = columns;
  });

  it('prints the seed CNN exactly as Keras 3 does on an 80-column terminal', () => {
    expect(summaryLines(cnn(), 76)).toEqual(CNN_SUMMARY);
  });

  it('has the CNN rows, shapes and counts', () => {
    const lines = summaryLines(cnn(), 100);
    expect(rows(lines).map((r) => r[1])).toEqual([
      '(None, 26, 26, 32)',
      '(None, 13, 13, 32)',
      '(None, 11, 11, 64)',
      '(None, 5, 5, 64)',
      '(None, 3, 3, 64)',
      '(None, 576)',
      '(None, 64)',
      '(None, 10)',
    ]);
    expect(rows(lines).map((r) => r[2])).toEqual(['320', '0', '18,496', '0', '36,928', '0', '36,928', '650']);
    expect(lines.slice(-3)).toEqual(CNN_SUMMARY.slice(-3));
  });

  it("sizes the table as Keras: 88 wide, at most the terminal's width − 4, 80 columns when unknown", () => {
    process.env.COLUMNS = '80';
    expect(summaryLines(cnn())).toEqual(CNN_SUMMARY);
    process.env.COLUMNS = '200';
    expect(summaryLines(cnn())[1]).toHaveLength(88);
    expect(summaryLines(twoInputs())[1]).toHaveLength(108);
    process.env.COLUMNS = '70';
    expect(summaryLines(cnn())[1]).toHaveLength(66);
  });

  it.each([40, 60, 76, 88, 100, 150])('fills exactly %i columns with every table line', (width) => {
    for (const net of [cnn(), twoInputs()]) {
      const table = summaryLines(net, width).filter((l) => /^[┏┃┡│├└]/.test(l));
      expect(table.length).toBeGreaterThan(5);
      for (const line of table) expect([...line]).toHaveLength(width);
    }
  });

  it('refuses a width too narrow for its columns', () => {
    expect(() => summaryLines(cnn(), 10)).toThrow('summary: line length 10 is too narrow');
  });

  it("counts batch normalization's moving mean and variance as non-trainable: 2 × channels", () => {
    const net = tfl.sequential({
      name: 'bn',
      layers: [
        layers.conv2d({ filters: 8, kernelSize: 3, inputShape: [6, 6, 1] }),
        layers.batchNormalization(),
        layers.flatten(),
        layers.dense({ units: 2 }),
      ] as tfLayers.Layer[],
    });
    const lines = summaryLines(net, 88);
    // conv 3·3·1·8 + 8 = 80, batch norm 4 × 8 = 32 of which 16 trainable, dense 4·4·8·2 + 2 = 258.
    expect(rows(lines).map((r) => r[2])).toEqual(['80', '32', '0', '258']);
    expect(lines.slice(-3)).toEqual([
      ' Total params: 370 (1.45 KB)',
      ' Trainable params: 354 (1.38 KB)',
      ' Non-trainable params: 16 (64.00 B)',
    ]);
  });

  it('shows who feeds whom in a two-input model, as Keras 3 does', () => {
    expect(summaryLines(twoInputs(), 76)).toEqual(TWO_INPUTS_SUMMARY);
    const wide = summaryLines(twoInputs(), 150);
    expect(wide[2]).toMatch(/^┃ Layer \(type\) +┃ Output Shape +┃ +Param # ┃ Connected to +┃$/);
    expect(rows(wide).map((r) => [r[0], r[3]])).toEqual([
      ['input_layer (InputLayer)', '-'],
      ['input_layer_1 (InputLayer)', '-'],
      ['concatenate (Concatenate)', 'input_layer[0][0], input_layer_1[0][0]'],
      ['dense (Dense)', 'concatenate[0][0]'],
      ['batch_normalization (BatchNormalization)', 'dense[0][0]'],
    ]);
  });

  it('leaves the input layer out of a Sequential model, as Keras', () => {
    const net = tfl.sequential({
      layers: [layers.inputLayer({ inputShape: [4] }), layers.dense({ units: 3, name: 'd' })] as tfLayers.Layer[],
    });
    expect(rows(summaryLines(net, 76))).toEqual([['d (Dense)', '(None, 3)', '15']]);
  });

  it('leaves Connected to out for a one-input chain, but lists its input layer', () => {
    const x = input({ shape: [3], name: 'x' });
    const net = model({ inputs: x, outputs: apply(layers.dense({ units: 2, name: 'out' }), x), name: 'chain' }).net;
    const lines = summaryLines(net, 76);
    expect(lines[2]).not.toContain('Connected to');
    expect(rows(lines)).toEqual([
      ['x (InputLayer)', '(None, 3)', '0'],
      ['out (Dense)', '(None, 2)', '8'],
    ]);
  });

  it('lists the shapes of a layer with several outputs', () => {
    const x = input({ shape: [5, 2], name: 'steps' });
    const [seq, h, c] = layers.lstm({ units: 4, returnSequences: true, returnState: true, name: 'lstm' }).apply(x) as SymbolicTensor[];
    const net = model({ inputs: x, outputs: [seq!, h!, c!], name: 'states' }).net;
    // Still a chain (one layer after another), so no Connected to.
    expect(rows(summaryLines(net, 150))).toEqual([
      ['steps (InputLayer)', '(None, 5, 2)', '0'],
      ['lstm (LSTM)', '[(None, 5, 4), (None, 4), (None, 4)]', '112'],
    ]);
  });

  it('connects a model with two heads', () => {
    const x = input({ shape: [4], name: 'x' });
    const hidden = apply(layers.dense({ units: 8, name: 'hidden' }), x);
    const heads = [apply(layers.dense({ units: 1, name: 'value' }), hidden), apply(layers.dense({ units: 3, name: 'policy' }), hidden)];
    const table = rows(summaryLines(model({ inputs: x, outputs: heads }).net, 150));
    expect(table.map((r) => [r[0], r[1], r[3]])).toEqual([
      ['x (InputLayer)', '(None, 4)', '-'],
      ['hidden (Dense)', '(None, 8)', 'x[0][0]'],
      ['value (Dense)', '(None, 1)', 'hidden[0][0]'],
      ['policy (Dense)', '(None, 3)', 'hidden[0][0]'],
    ]);
  });

  it('reports sizes in Keras units', () => {
    const net = tfl.sequential({ layers: [layers.dense({ units: 300, inputShape: [1000] })] as tfLayers.Layer[] });
    expect(summaryLines(net, 88).slice(-3)).toEqual([
      ' Total params: 300,300 (1.15 MB)',
      ' Trainable params: 300,300 (1.15 MB)',
      ' Non-trainable params: 0 (0.00 B)',
    ]);
  });

  it('counts a frozen layer as non-trainable', () => {
    const frozen = layers.dense({ units: 3, inputShape: [2], trainable: false });
    const net = tfl.sequential({ layers: [frozen, layers.dense({ units: 1 })] as tfLayers.Layer[] });
    expect(summaryLines(net, 88).slice(-2)).toEqual([' Trainable params: 4 (16.00 B)', ' Non-trainable params: 9 (36.00 B)']);
  });
});
