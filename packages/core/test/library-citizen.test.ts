// Importing dl changes nothing for other TF.js code in the process: tfjs's layer classes stay tfjs's (dl's fused
// subclasses are used only in models dl builds, loads or clones), so a model another library loads is plain TF.js.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneModel, layers, loadModel, sequential, tf } from '../src/index.js';
import { FusedBatchNormalization } from '../src/native/fused-batch-norm-layer.js';
import { FusedConv2D } from '../src/native/fused-conv2d-layer.js';
import { FusedLSTM } from '../src/native/fused-lstm-layer.js';
import { NativeDropout } from '../src/native/native-dropout-layer.js';
import { ResetAfterGRU } from '../src/native/reset-after-gru-layer.js';
import { layersModelOf, tfl } from '../src/tfjs-layers-api.js';

const DL_CLASSES = [FusedConv2D, FusedLSTM, FusedBatchNormalization, NativeDropout, ResetAfterGRU] as const;
const TFJS_NAMES = ['Conv2D', 'LSTM', 'BatchNormalization', 'Dropout', 'GRU'];
const noneRegistered = () => TFJS_NAMES.every((name) => !(DL_CLASSES as readonly unknown[]).includes(registered(name)));
const registered = (name: string) => tf.serialization.SerializationMap.getMap().classNameMap[name]?.[0];

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'dl-citizen-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

function dlModel() {
  return sequential([
    layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, activation: 'relu' }),
    layers.batchNormalization(),
    layers.dropout({ rate: 0.1 }),
    layers.reshape({ targetShape: [4, 8] }),
    layers.lstm({ units: 3 }),
  ]);
}

const classesOf = (net: { layers: object[] }) => net.layers.map((layer) => layer.constructor);

describe('dl and other TF.js code in one process', () => {
  it("leaves tfjs's class registry as tfjs made it: its own Conv2D, LSTM, BatchNormalization, Dropout and GRU", () => {
    dlModel(); // building dl's layers changes nothing either
    expect(registered('Conv2D')).toBe(tfl.layers.conv2d({ filters: 1, kernelSize: 1 }).constructor);
    expect(registered('LSTM')).toBe(tfl.layers.lstm({ units: 1 }).constructor);
    expect(registered('BatchNormalization')).toBe(tfl.layers.batchNormalization().constructor);
    expect(registered('Dropout')).toBe(tfl.layers.dropout({ rate: 0.1 }).constructor);
    layers.gru({ units: 1, resetAfter: true });
    expect(registered('GRU')).toBe(tfl.layers.gru({ units: 1 }).constructor);
    expect(noneRegistered()).toBe(true);
  });

  it("a model loaded by plain TF.js gets tfjs's classes; the same model loaded by dl gets dl's fused ones", async () => {
    const model = dlModel();
    const dir = join(root, 'saved');
    await model.save(dir);
    const plain = await tfl.models.modelFromJSON({ modelTopology: layersModelOf(model).toJSON(null, false) } as never);
    expect(classesOf(plain).filter((cls) => (DL_CLASSES as readonly unknown[]).includes(cls))).toEqual([]);
    const loaded = await loadModel(dir);
    expect(classesOf(layersModelOf(loaded)).slice(0, 3)).toEqual([FusedConv2D, FusedBatchNormalization, NativeDropout]);
    expect(classesOf(layersModelOf(loaded))[4]).toBe(FusedLSTM);
    const x = tf.randomUniform([2, 6, 6, 1], 0, 1, 'float32', 1);
    expect(Array.from((loaded.predict(x) as Tensor).dataSync())).toEqual(Array.from((model.predict(x) as Tensor).dataSync()));
    plain.dispose();
    expect(noneRegistered()).toBe(true);
  });

  it("dl's clones and bidirectional wrappers keep dl's classes; tfjs's bidirectional stays tfjs's", () => {
    const clone = cloneModel(dlModel());
    expect(classesOf(layersModelOf(clone))[0]).toBe(FusedConv2D);
    const dlWrapped = layers.bidirectional({ layer: layers.lstm({ units: 2 }) as never }) as unknown as {
      forwardLayer: object;
      backwardLayer: object;
    };
    expect(dlWrapped.forwardLayer.constructor).toBe(FusedLSTM);
    expect(dlWrapped.backwardLayer.constructor).toBe(FusedLSTM);
    const tfjsWrapped = tfl.layers.bidirectional({ layer: tfl.layers.lstm({ units: 2 }) as never }) as unknown as { forwardLayer: object };
    expect(tfjsWrapped.forwardLayer.constructor).not.toBe(FusedLSTM);
    expect(tfjsWrapped.forwardLayer.constructor).toBe(registered('LSTM'));
  });
});
