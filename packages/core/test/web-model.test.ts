// writeWebModel and quantizeWeight: TF.js's converter layout and quantization, read back by tfjs-core's own decoder.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  float32WeightsSha256,
  layers,
  loadModel,
  type Model,
  ModelFileError,
  OptionError,
  quantizeWeight,
  sequential,
  setSeed,
  tf,
  writeWebModel,
} from '../src/index.js';
import { compiledClassifier, errorOf, separable, tempDir } from './helpers.js';

let root: string;
beforeAll(async () => {
  root = await tempDir();
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Dequantizes `values` as plain TF.js does on load: tfjs-core's io.decodeWeights with the manifest entry. */
function roundTrip(values: Float32Array, dtype: 'float16' | 'uint8'): Float32Array {
  const { bytes, quantization } = quantizeWeight(values, dtype);
  const spec = { name: 'w', shape: [values.length], dtype: 'float32' as const, quantization };
  const decoded = tf.io.decodeWeights(bytes.slice().buffer, [spec])['w']!;
  const out = decoded.dataSync() as Float32Array;
  decoded.dispose();
  return out;
}

describe('quantizeWeight', () => {
  it('uint8: affine over the tensor range, nudged so 0 stays (nearly exactly) 0; every value within half a step', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 0.37) * 0.8 - 0.1);
    values[17] = 0;
    const { bytes, quantization } = quantizeWeight(values, 'uint8');
    expect(bytes.length).toBe(1000);
    expect(quantization.dtype).toBe('uint8');
    const { min, scale } = quantization as { min: number; scale: number };
    expect(scale).toBeCloseTo((Math.max(...values) - Math.min(...values)) / 255, 12);
    expect(Math.abs(-min / scale - Math.round(-min / scale))).toBeLessThan(1e-9); // the zero point is a whole step
    const back = roundTrip(values, 'uint8');
    for (let i = 0; i < values.length; i++) expect(Math.abs(back[i]! - values[i]!)).toBeLessThanOrEqual(scale * 0.5 + 1e-6);
    expect(Math.abs(back[17]!)).toBeLessThan(1e-7);
    expect(Math.min(...bytes)).toBe(0);
    expect(Math.max(...bytes)).toBe(255);
  });

  it("uint8: the converter's worked example, a constant tensor, a range without 0", () => {
    // [-1, 2]: scale 3/255, zero point round(85) = 85, so min is -1 exactly; 0.5 → 127.5 → 128 (halves to even).
    expect([...quantizeWeight(Float32Array.from([-1, 0, 0.5, 2]), 'uint8').bytes]).toEqual([0, 85, 128, 255]);
    const constant = quantizeWeight(Float32Array.from([0.25, 0.25, 0.25]), 'uint8');
    expect(constant).toEqual({
      bytes: new Uint8Array(3),
      quantization: { dtype: 'uint8', min: 0.25, scale: 1, original_dtype: 'float32' },
    });
    expect([...roundTrip(Float32Array.from([0.25, 0.25]), 'uint8')]).toEqual([0.25, 0.25]);
    const positive = quantizeWeight(Float32Array.from([1, 2, 3.55]), 'uint8').quantization as { min: number };
    expect(positive.min).toBe(1); // no nudging when 0 is outside the range
  });

  it('float16: nearest half-precision value (what numpy astype gives), 2 bytes each', () => {
    const values = Float32Array.from([0, 1, -2.5, 0.1, 1 / 3, 65504, 1e-8, 70000]);
    expect(quantizeWeight(values, 'float16').bytes.length).toBe(16);
    expect([...roundTrip(values, 'float16')]).toEqual([0, 1, -2.5, 0.0999755859375, 0.333251953125, 65504, 0, Infinity]);
  });

  it('rejects an unknown dtype and non-finite weights, naming them', async () => {
    expect(await errorOf(() => quantizeWeight(new Float32Array(2), 'int4' as never))).toBeInstanceOf(OptionError);
    expect((await errorOf(() => quantizeWeight(new Float32Array(2), 'int4' as never))).message).toMatch(/float16, uint8, got "int4"/);
    expect((await errorOf(() => quantizeWeight(Float32Array.from([1, Number.NaN]), 'uint8'))).message).toMatch(/NaN or infinity/);
  });
});

describe('writeWebModel', () => {
  let model: Model;
  const { x, y } = separable(40, 3);

  beforeAll(async () => {
    setSeed(3);
    model = compiledClassifier();
    await model.fit(x, y, { epochs: 2, batchSize: 10, verbose: 0 });
  });

  const predict = (m: Model) => {
    const out = m.predict(x);
    const values = Array.from(out.dataSync());
    out.dispose();
    return values;
  };

  it('float32: model.json with the topology and one shard, no optimizer state or training config; loads back identical', async () => {
    const dir = join(root, 'f32');
    await mkdir(dir);
    const written = await writeWebModel(model, dir);
    const parameters = model.net.countParams();
    expect(written).toMatchObject({ files: ['model.json', 'group1-shard1of1.bin'], weightBytes: parameters * 4, parameters });
    expect((await readdir(dir)).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(Object.keys(json).sort()).toEqual(['convertedBy', 'format', 'generatedBy', 'modelTopology', 'weightsManifest']);
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0].weights.every((w: { group?: string; quantization?: unknown }) => !w.group && !w.quantization)).toBe(
      true,
    );
    const back = await loadModel(dir);
    expect(predict(back)).toEqual(predict(model));
    expect(await float32WeightsSha256(back)).toBe(written.float32Sha256);
  });

  it("refuses a model with a layer of dl's own that TF.js cannot build (Scattering2D), writing nothing", async () => {
    const dir = join(root, 'scattering');
    await mkdir(dir);
    const scattering = sequential([layers.scattering2d({ inputShape: [28, 28, 1] }), layers.flatten(), layers.dense({ units: 2 })]);
    const err = await errorOf(() => writeWebModel(scattering, dir));
    expect(err).toBeInstanceOf(ModelFileError);
    expect(err.message).toMatch(/'scattering.*' is a Scattering2D.*no web export.*Node/);
    expect(await readdir(dir)).toEqual([]);
    scattering.net.dispose();
  });

  it('float16 and uint8: ½ and ¼ of the bytes, quantization entries on every float32 weight, predictions close', async () => {
    const reference = predict(model);
    for (const [dtype, bytesPer, tolerance] of [
      ['float16', 2, 2e-3],
      ['uint8', 1, 5e-2],
    ] as const) {
      const dir = join(root, dtype);
      await mkdir(dir);
      const written = await writeWebModel(model, dir, { quantize: dtype });
      expect(written.weightBytes).toBe(written.parameters * bytesPer);
      const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
      for (const w of json.weightsManifest[0].weights) {
        expect(w.dtype).toBe('float32');
        expect(w.quantization.dtype).toBe(dtype);
        if (dtype === 'uint8') expect(Object.keys(w.quantization).sort()).toEqual(['dtype', 'min', 'original_dtype', 'scale']);
      }
      const back = predict(await loadModel(dir));
      const worst = Math.max(...back.map((v, i) => Math.abs(v - reference[i]!)));
      expect(worst, dtype).toBeLessThan(tolerance);
      expect(worst, dtype).toBeGreaterThan(0); // really quantized
    }
  });

  it('splits the weights into shards of at most shardBytes, named as the converter names them', async () => {
    const dir = join(root, 'shards');
    await mkdir(dir);
    const big = sequential([layers.dense({ units: 64, inputShape: [100] }), layers.dense({ units: 2 })]);
    const written = await writeWebModel(big, dir, { shardBytes: 10_000 });
    const n = Math.ceil(written.weightBytes / 10_000);
    expect(written.files.slice(1)).toEqual(Array.from({ length: n }, (_, i) => `group1-shard${i + 1}of${n}.bin`));
    const sizes = await Promise.all(written.files.slice(1).map(async (f) => (await readFile(join(dir, f))).length));
    expect(sizes.slice(0, -1).every((s) => s === 10_000)).toBe(true);
    const back = await loadModel(dir);
    const input = tf.randomNormal([3, 100], 0, 1, 'float32', 7);
    expect(Array.from(back.predict(input).dataSync())).toEqual(Array.from(big.predict(input).dataSync()));
  });
});
