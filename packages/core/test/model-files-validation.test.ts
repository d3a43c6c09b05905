// Model files are data: loadModel checks a model folder before TF.js builds anything — unknown classes, absurd
// shapes in the manifest or in layer configs, weights files of the wrong length or outside the folder are refused
// with an error naming the file; nothing in model.json can make it run code.
import { spawnSync } from 'node:child_process';
import { appendFile, cp, mkdir, readdir, readFile, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layers, loadModel, sequential, tf, type Model } from '../src/index.js';
import { ModelFileError, readModelFiles } from '../src/model-files.js';
import { compiledClassifier, tempDir } from './helpers.js';

let root: string;
/** A tiny saved classifier: dense (2→8) → dense_1 (8→2), with Adam's state. */
let tiny: string;
/** A tiny saved recurrent model: Bidirectional(LSTM(3)) over [4, 2] inputs → Dense(2). */
let recurrent: string;

interface Json {
  modelTopology: { class_name: string; config: { layers: Array<{ class_name: string; config: Record<string, unknown> }> } };
  weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string; shape: number[]; dtype: string; group?: string }> }>;
  [key: string]: unknown;
}

beforeAll(async () => {
  root = await tempDir();
  tiny = join(root, 'tiny');
  const model = compiledClassifier();
  await model.fit(
    { data: new Float32Array([1, 1, -1, -1]), shape: [2, 2] },
    { data: new Float32Array([1, 0]), shape: [2] },
    { epochs: 1, verbose: 0 },
  );
  await model.save(tiny);
  recurrent = join(root, 'recurrent');
  const rnn: Model = sequential([
    layers.bidirectional({ layer: layers.lstm({ units: 3 }), inputShape: [4, 2] }),
    layers.dense({ units: 2 }),
  ]);
  await rnn.save(recurrent);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

let copies = 0;
/** A copy of a saved model folder, with its model.json changed by `edit`. */
async function variant(source: string, edit: (json: Json) => void = () => {}): Promise<{ dir: string; json: string; weights: string }> {
  const dir = join(root, `variant-${++copies}`);
  await cp(source, dir, { recursive: true });
  const jsonPath = join(dir, 'model.json');
  const json = JSON.parse(await readFile(jsonPath, 'utf8')) as Json;
  edit(json);
  await writeFile(jsonPath, JSON.stringify(json));
  const weights = (await readdir(dir)).find((f) => f.endsWith('.bin'))!;
  return { dir, json: jsonPath, weights: join(dir, weights) };
}

async function refused(dir: string): Promise<ModelFileError> {
  const error = await loadModel(dir).then(
    (model) => {
      model.net.dispose();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFileError);
  return error as ModelFileError;
}

const layer = (json: Json, i: number) => json.modelTopology.config.layers[i]!;

describe('loading model files that are not trusted', () => {
  it('reads an intact model, building it once more only to vet sizes, and leaks no tensor doing so', async () => {
    const before = tf.memory().numTensors;
    const files = await readModelFiles(tiny);
    expect(tf.memory().numTensors - before).toBe(files.optimizerWeights.length); // the optimizer state it returns, nothing else
    tf.dispose(files.optimizerWeights.map((w) => w.tensor));
    expect(tf.memory().numTensors).toBe(before);
    const model = await loadModel(tiny);
    expect(model.net.layers.map((l) => l.name)).toEqual(['dense', 'dense_1']);
    model.net.dispose();
  });

  it('names an unknown layer class, the layer and the registered layer classes', async () => {
    const { dir, json } = await variant(tiny, (j) => void (layer(j, 1).class_name = 'PythonLambda'));
    const error = await refused(dir);
    expect(error.file).toBe(json);
    expect(error.message).toContain(json);
    expect(error.message).toContain("unknown layer class 'PythonLambda' (layer 'dense_1')");
    expect(error.message).toMatch(/registered layer classes include Dense, Conv2D, .*LSTM.* and \d+ more/);
  });

  it('names an unknown layer class inside a wrapper (Bidirectional → layer)', async () => {
    const { dir } = await variant(recurrent, (j) => {
      const inner = layer(j, 0).config['layer'] as { class_name: string; config: { name: string } };
      inner.class_name = 'CustomRNN';
    });
    expect((await refused(dir)).message).toMatch(/unknown layer class 'CustomRNN' \(layer '[^']+'\)/);
  });

  it('names an unknown class elsewhere in a config (an initializer), with its layer', async () => {
    const { dir } = await variant(
      tiny,
      (j) => void ((layer(j, 0).config['kernel_initializer'] as { class_name: string }).class_name = 'Evil'),
    );
    expect((await refused(dir)).message).toContain("unknown class 'Evil' in layer 'dense' (key kernel_initializer)");
  });

  it("treats class names of Object's own members (toString, constructor) as unknown, never as functions to call", async () => {
    for (const name of ['toString', 'constructor', '__defineGetter__']) {
      const { dir } = await variant(tiny, (j) => void (layer(j, 0).class_name = name));
      expect((await refused(dir)).message).toContain(`unknown layer class '${name}'`);
    }
  });

  it('refuses prototype keys (__proto__, constructor, prototype) anywhere in model.json', async () => {
    const { dir, json } = await variant(tiny);
    const text = (await readFile(json, 'utf8')).replace('"units":8', '"units":8,"__proto__":{"units":1000000000}');
    await writeFile(json, text);
    expect((await refused(dir)).message).toMatch(/has the key '__proto__' \(at model\.json\.modelTopology\.config\.layers\[0\]\.config\)/);
  });

  it('refuses a weight of 10^12 elements in the manifest, before reading any weights', async () => {
    const { dir, weights } = await variant(tiny, (j) => void (j.weightsManifest[0]!.weights[0]!.shape = [1_000_000, 1_000_000]));
    await rm(weights);
    const error = await refused(dir);
    expect(error.message).toContain("weight 'dense/kernel' has the shape [1000000, 1000000], 1.00e+12 elements: absurd");
  });

  it('refuses a layer config whose units would allocate absurd memory, before TF.js allocates it', async () => {
    const { dir } = await variant(tiny, (j) => void (layer(j, 0).config['units'] = 1_000_000_000));
    const error = await refused(dir);
    expect(error.message).toContain("layer 'dense' (Dense) would create the weight 'kernel' of shape [2, 1000000000] (2.00e+9 elements)");
    expect(error.message).toContain('larger than any weight in the weights manifest');
  });

  it('refuses an input shape that would make the next layer allocate absurd memory', async () => {
    const { dir } = await variant(tiny, (j) => void (layer(j, 0).config['batch_input_shape'] = [null, 3_000_000_000]));
    expect((await refused(dir)).message).toContain("layer 'dense' (Dense) would create the weight 'kernel' of shape [3000000000, 8]");
  });

  it('refuses absurd units inside a wrapped recurrent cell', async () => {
    const { dir } = await variant(recurrent, (j) => {
      (layer(j, 0).config['layer'] as { config: Record<string, unknown> }).config['units'] = 100_000_000;
    });
    expect((await refused(dir)).message).toMatch(/would create the weight 'kernel' of shape \[2, 400000000\]/);
  });

  it('refuses a config that would create more weights than the manifest holds (not the saved model)', async () => {
    // A third dense layer: each of its weights is small, but together they exceed what the manifest holds.
    const { dir } = await variant(tiny, (j) => {
      const extra = structuredClone(layer(j, 1));
      extra.config['name'] = 'dense_2';
      j.modelTopology.config.layers.push(extra);
    });
    expect((await refused(dir)).message).toMatch(/beyond the \d+ weight elements the weights manifest holds/);
  });

  it('refuses weights files shorter than the manifest', async () => {
    const { dir, weights } = await variant(tiny);
    const size = (await readFile(weights)).length;
    await truncate(weights, size - 4);
    expect((await refused(dir)).message).toContain(
      `hold ${size - 4} bytes but the manifest needs ${size}; the save is incomplete or the files are truncated`,
    );
  });

  it('refuses weights files longer than the manifest', async () => {
    const { dir, weights } = await variant(tiny);
    const size = (await readFile(weights)).length;
    await appendFile(weights, Buffer.alloc(8));
    expect((await refused(dir)).message).toContain(
      `hold ${size + 8} bytes but the manifest describes only ${size}; they do not belong to this model.json`,
    );
  });

  it('refuses weights paths outside the folder: ../, absolute, a symbolic link out, and what is no regular file', async () => {
    const outside = join(root, 'outside.bin');
    await writeFile(outside, Buffer.alloc(4096));
    for (const path of ['../outside.bin', outside, 'sub/../../outside.bin', '..', '']) {
      const { dir } = await variant(tiny, (j) => void (j.weightsManifest[0]!.paths = [path]));
      expect((await refused(dir)).message).toContain(`weights path '${path}' is not a file name in the model's folder`);
    }
    const linked = await variant(tiny, (j) => void (j.weightsManifest[0]!.paths = ['linked.bin']));
    await symlink(outside, join(linked.dir, 'linked.bin'));
    expect((await refused(linked.dir)).message).toContain(`weights path 'linked.bin' leads outside the model's folder (to ${outside})`);
    const folder = await variant(tiny, (j) => void (j.weightsManifest[0]!.paths = ['folder.bin']));
    await mkdir(join(folder.dir, 'folder.bin'));
    expect((await refused(folder.dir)).message).toContain("weights path 'folder.bin' is not a regular file");
  });

  it('refuses a missing weights file, a string dtype, a graph model and absurd nesting', async () => {
    const missing = await variant(tiny);
    await rm(missing.weights);
    expect((await refused(missing.dir)).message).toMatch(/weights file 'weights-[0-9a-f]+\.bin' named in the manifest cannot be read/);

    const strings = await variant(tiny, (j) => void (j.weightsManifest[0]!.weights[0]!.dtype = 'string'));
    expect((await refused(strings.dir)).message).toContain("weight 'dense/kernel' has dtype 'string'");

    const graph = await variant(tiny, (j) => void (j['format'] = 'graph-model'));
    expect((await refused(graph.dir)).message).toContain("is a TF.js 'graph-model', not a 'layers-model'");

    const deep = await variant(tiny);
    let nested: unknown = 1;
    for (let i = 0; i < 1000; i++) nested = [nested];
    const json = JSON.parse(await readFile(deep.json, 'utf8')) as Json;
    json['userDefinedMetadata'] = { nested };
    await writeFile(deep.json, JSON.stringify(json));
    expect((await refused(deep.dir)).message).toMatch(/is nested more than \d+ levels deep/);
  });

  it('readModelFiles itself refuses before decoding anything (the check loadModel relies on)', async () => {
    const { dir } = await variant(tiny, (j) => void (layer(j, 0).class_name = 'Nope'));
    await expect(readModelFiles(dir)).rejects.toThrow(ModelFileError);
  });
});

describe('saving over a save that a crash cut short', () => {
  it('removes the temp files of writers that died, and keeps those of live ones', async () => {
    const dir = join(root, 'resaved');
    await cp(tiny, dir, { recursive: true });
    const dead = Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
    const deadTemps = [`.weights-0123456789abcdef.bin.tmp-${dead}-1700000000000`, `.model.json.tmp-${dead}-1700000000001`];
    const liveTemp = `.model.json.tmp-${process.ppid}-1700000000002`; // the test runner's parent: alive
    for (const name of [...deadTemps, liveTemp]) await writeFile(join(dir, name), 'half');
    const model = await loadModel(dir);
    await model.save(dir);
    const names = await readdir(dir);
    for (const name of deadTemps) expect(names).not.toContain(name);
    expect(names).toContain(liveTemp);
    model.net.dispose();
  });
});
