/**
 * Keras files into dl: `.keras` fixtures written by real Keras 3 and legacy `.h5` ones (Keras 3's legacy writer, and the
 * same rewritten in Keras 2's layout) by fixtures/keras/make_fixtures.py, which records the predictions Keras computed
 * in expected.json; dl must load each and predict the same within 1e-5.
 */
import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadModel, ModelFileError, type Tensor, tf } from '../src/index.js';
import { kerasTopology } from '../src/keras/keras-topology.js';
import { tfl } from '../src/tfjs-layers-api.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'keras');

interface Expected {
  /** The file (entries made before make_fixtures.py recorded it: `<name>.keras`). */
  file?: string;
  inputs: { shape: number[]; dtype: string; values: number[] }[];
  outputs: { shape: number[]; values: number[] }[];
}
const expected = JSON.parse(readFileSync(join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expected>;

async function maxDifference(name: string): Promise<number> {
  const e = expected[name]!;
  const model = await loadModel(join(FIXTURES, e.file ?? `${name}.keras`));
  const inputs = e.inputs.map((i) => tf.tensor(i.values, i.shape, i.dtype.startsWith('int') ? 'int32' : 'float32'));
  const predicted = model.predict(inputs.length === 1 ? inputs[0]! : inputs) as Tensor | Tensor[];
  const outs = Array.isArray(predicted) ? predicted : [predicted];
  expect(outs.map((o) => o.shape)).toEqual(e.outputs.map((o) => o.shape));
  const differences = outs.flatMap((out, k) => {
    const values = out.dataSync();
    return e.outputs[k]!.values.map((v, i) => Math.abs(v - values[i]!));
  });
  tf.dispose([...inputs, ...outs]);
  model.net.dispose();
  return Math.max(...differences);
}

describe('loadModel of a Keras 3 .keras file', () => {
  it.each([
    ['cnn', 'a Sequential CNN: Conv2D, trained BatchNormalization, MaxPooling2D, Activation, Flatten, Dropout, Dense'],
    ['two_branches', 'a Functional model with two branches joined by Add and Concatenate, then Reshape'],
    ['embedding_lstm', 'Embedding (mask_zero, padded inputs) into two stacked LSTMs'],
    ['conv_more', 'Rescaling, Conv2DTranspose, LeakyReLU, AveragePooling2D, LayerNormalization, GlobalAveragePooling2D'],
    ['recurrent_two_io', 'two inputs, two outputs: Bidirectional LSTM and GRU, GRU and SimpleRNN, Multiply'],
    ['gru_reset_after', "Keras 3's default GRU (reset_after=True): with dropout, Bidirectional, go_backwards, no bias"],
    ['more_layers', 'global max pooling, GlobalAveragePooling1D, Average, Maximum, Minimum, Bidirectional SimpleRNN, merge modes'],
  ])('%s (%s) predicts what Keras predicted, within 1e-5', async (name) => {
    const diff = await maxDifference(name);
    console.log(`${name}: max abs difference to Keras ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
  });

  it('leaves no tensors behind once the model is disposed, nor after a refused file', async () => {
    const before = tf.memory().numTensors;
    // (Not an RNN model: disposing a network with LSTM layers leaves 8 tensors however it was loaded, a dl folder too.)
    const model = await loadModel(join(FIXTURES, 'conv_more.keras'));
    // Saved compiled with Adam: it loads compiled, its optimizer holding the moments Keras saved.
    expect(model.isCompiled).toBe(true);
    model.optimizer.dispose();
    model.net.dispose();
    await loadModel(join(FIXTURES, 'nested.keras')).catch(() => undefined);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses an unsupported layer, naming it and the layers dl supports', async () => {
    const file = join(FIXTURES, 'unsupported.keras');
    const error = await loadModel(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toContain('MultiHeadAttention');
    for (const supported of ['Dense', 'Conv2D', 'LSTM', 'BatchNormalization', 'Embedding']) expect(message).toContain(supported);
  });

  it('refuses a model nested as a layer, saying so', async () => {
    const error = await loadModel(join(FIXTURES, 'nested.keras')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toContain('nests a model (Sequential) as a layer');
  });

  it('names a missing .keras file', async () => {
    const file = join(FIXTURES, 'missing.keras');
    await expect(loadModel(file)).rejects.toThrow(`${file}: no such file`);
  });

  it('refuses a file that is not a .keras zip with a ModelFileError naming it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dl-keras-test-'));
    const file = join(dir, 'script.keras');
    try {
      await copyFile(join(FIXTURES, 'make_fixtures.py'), file);
      const error = await loadModel(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelFileError);
      expect((error as Error).message).toContain(`${file}: cannot read it as a Keras 3 .keras zip`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('loadModel of a legacy Keras .h5 file', () => {
  it.each([
    ['legacy_cnn', "the Sequential CNN with trained BatchNormalization, by Keras 3's legacy writer"],
    ['keras2_cnn', "the same in Keras 2's layout (batch_input_shape, BatchNormalization axis [3], weight names with :0)"],
    ['legacy_recurrent_two_io', 'the two-input two-output recurrent model, by Keras 3'],
    ['keras2_recurrent_two_io', "the same in Keras 2's layout (inbound nodes as lists)"],
    ['legacy_gru_reset_after', 'the reset_after=True GRUs, by Keras 3'],
    ['keras2_gru_reset_after', "the same in Keras 2's layout"],
  ])('%s (%s) predicts what Keras predicted, within 1e-5', async (name) => {
    const diff = await maxDifference(name);
    console.log(`${name}: max abs difference to Keras ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-5);
  });

  it('refuses an unsupported layer as for .keras files, naming it and the layers dl supports', async () => {
    const file = join(FIXTURES, 'legacy_unsupported.h5');
    const error = await loadModel(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFileError);
    expect((error as Error).message).toMatch(/legacy_unsupported\.h5.*MultiHeadAttention.*it imports: .*Dense/);
  });

  it('says when an .h5 file holds weights only (save_weights), and names a missing file or one that is not HDF5', async () => {
    const weights = join(FIXTURES, 'weights_only.weights.h5');
    await expect(loadModel(weights)).rejects.toThrow(`${weights}: holds weights only (model.save_weights)`);
    await expect(loadModel(join(FIXTURES, 'missing.h5'))).rejects.toThrow(`${join(FIXTURES, 'missing.h5')}: no such file`);
    const dir = await mkdtemp(join(tmpdir(), 'dl-keras-test-'));
    const file = join(dir, 'script.h5');
    try {
      await copyFile(join(FIXTURES, 'make_fixtures.py'), file);
      const error = await loadModel(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ModelFileError);
      expect((error as Error).message).toContain(`${file}: cannot be read as an HDF5 file`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads a Keras 2 Sequential whose first layer carries batch_input_shape (configs without an InputLayer entry)', () => {
    const dense = (name: string, extra: Record<string, unknown> = {}) => ({
      class_name: 'Dense',
      config: { name, units: 2, activation: 'relu', dtype: 'float32', ...extra },
    });
    const { modelTopology } = kerasTopology({
      class_name: 'Sequential',
      config: { name: 'old', layers: [dense('d1', { batch_input_shape: [null, 3] }), dense('d2')] },
    });
    const net = tfl.models.modelFromJSON({ modelTopology } as never);
    return net.then((n) => {
      expect(n.inputs[0]!.shape).toEqual([null, 3]);
      expect(n.outputs[0]!.shape).toEqual([null, 2]);
      n.dispose();
    });
  });

  it('refuses hard_sigmoid, which Keras 3 computes otherwise than TF.js, where an activation is read', () => {
    for (const config of [
      { units: 2, activation: 'hard_sigmoid' },
      { units: 2, recurrent_activation: 'hard_sigmoid' },
    ]) {
      const className = 'activation' in config ? 'Dense' : 'LSTM';
      const read = () =>
        kerasTopology({
          class_name: 'Sequential',
          config: { name: 's', layers: [{ class_name: className, config: { name: 'x', batch_input_shape: [null, 3, 3], ...config } }] },
        });
      expect(read).toThrow(/layer x .*hard_sigmoid" is not supported: Keras 3 computes relu6\(x \+ 3\) \/ 6, TF\.js 0\.2x \+ 0\.5/);
    }
  });
});
