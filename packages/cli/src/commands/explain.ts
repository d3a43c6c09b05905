import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { explain as attributions, loadModel, makeFolder, tf, writeFileAtomic, type Attributions, type Model, type Tensor } from '@dl/core';
import { encodePng, loadVocabulary, VOCABULARY_JSON, type Preset } from '@dl/models';
import { heatmapPanels } from '../explain/heatmap-png.js';
import { ansiTokens, htmlPage, markedTokens, type TokenScore } from '../explain/token-render.js';
import { makeOutput } from '../output.js';
import { requireNewFile } from '../new-file.js';
import { UsageError } from '../usage-error.js';
import { resolvePreset } from './resolve-preset.js';

type Tensor3D = ReturnType<typeof tf.tensor3d>;

export const EXPLAIN_METHODS = ['ig', 'smoothgrad', 'gradxinput', 'gradcam'] as const;
export type ExplainMethod = (typeof EXPLAIN_METHODS)[number];

export interface ExplainCommandOptions {
  method?: string;
  /** Image models: a test-split image by its index. */
  index?: number;
  /** Image models: a PNG file. */
  image?: string;
  /** Text models: the text. */
  text?: string;
  /** The class to explain (default: the predicted one). */
  target?: number;
  /** Integrated Gradients' steps. */
  steps?: number;
  /** Image models: the PNG to write. */
  out?: string;
  /** Text models: an HTML page to write. */
  html?: string;
  dataDir?: string;
  json?: boolean;
  quiet?: boolean;
}

/**
 * `dl explain DIR`: which pixels or words made a trained model decide as it did. Image presets (cnn): a test image
 * (`--index N`) or a PNG (`--image FILE`) → a PNG of the input, the heatmap and the overlay (`--out`); text presets
 * (lstm, text-classifier): `--text "…"` → the words coloured by their attribution (`--html FILE` for a page).
 */
export async function explain(dir: string, options: ExplainCommandOptions): Promise<void> {
  const method = (options.method ?? 'ig') as ExplainMethod;
  if (!EXPLAIN_METHODS.includes(method)) throw new UsageError(`--method ${options.method}: use one of ${EXPLAIN_METHODS.join(', ')}`);
  if (options.steps !== undefined && method !== 'ig')
    throw new UsageError(`--steps is for --method ig (Integrated Gradients), not ${method}`);
  const modelDir = resolve(dir);
  const modelJson = join(modelDir, 'model.json');
  if (!existsSync(modelJson)) {
    throw new UsageError(
      `${modelJson} not found: DIR must be a folder written by \`dl train\` with a classifier preset (cnn, lstm, text-classifier)`,
    );
  }
  const model = await loadModel(modelDir);
  const presetName = model.metadata?.preset;
  if (typeof presetName !== 'string')
    throw new UsageError(`${modelJson} does not say which preset built it: was it saved by \`dl train\`?`);
  const preset = resolvePreset(presetName);
  if (preset.text !== undefined) return explainText(model, modelDir, preset, method, options);
  if (preset.pixelRange !== undefined && preset.name !== 'gan') return explainImage(model, preset, method, options);
  throw new UsageError(`${modelDir} holds a '${preset.name}' model: \`dl explain\` explains classifiers (cnn, lstm, text-classifier)`);
}

function attribute(
  model: Model,
  x: { data: Float32Array | Int32Array; shape: number[] },
  method: ExplainMethod,
  options: ExplainCommandOptions,
): Attributions {
  const common = options.target === undefined ? {} : { target: options.target };
  switch (method) {
    case 'ig':
      return attributions.integratedGradients(model, x, { ...common, ...(options.steps === undefined ? {} : { steps: options.steps }) });
    case 'smoothgrad':
      return attributions.smoothGrad(model, x, { ...common, timesInput: true });
    case 'gradxinput':
      return attributions.gradientTimesInput(model, x, common);
    case 'gradcam':
      return attributions.gradCam(model, x, common);
  }
}

function checkTarget(options: ExplainCommandOptions, classes: number): void {
  if (options.target !== undefined && options.target >= classes) {
    throw new UsageError(`--target ${options.target}: the model has ${classes} classes (0…${classes - 1})`);
  }
}

async function explainImage(model: Model, preset: Preset, method: ExplainMethod, options: ExplainCommandOptions): Promise<void> {
  if (options.text !== undefined || options.html !== undefined) {
    throw new UsageError(`--text and --html are for text models; '${preset.name}' takes images: give --index N or --image FILE.png`);
  }
  if ((options.index === undefined) === (options.image === undefined)) {
    throw new UsageError('give the image to explain with exactly one of --index N (a test-split image) and --image FILE.png');
  }
  const [height, width] = model.net.inputs[0]!.shape.slice(1, 3) as [number, number];
  const [lo, hi] = preset.pixelRange!;
  let pixels: Float32Array; // 0…1, for the picture
  let label: number | undefined;
  if (options.index !== undefined) {
    const data = await preset.loadData({ ...(options.dataDir ? { dataDir: options.dataDir } : {}), log: false });
    const n = data.test.x.shape[0]!;
    if (options.index >= n) throw new UsageError(`--index ${options.index}: the test split has ${n} images (0…${n - 1})`);
    const size = height * width;
    const x = data.test.x.data.slice(options.index * size, (options.index + 1) * size) as Float32Array;
    pixels = Float32Array.from(x, (v) => (v - lo) / (hi - lo));
    label = Number(data.test.y.data[options.index]);
  } else {
    pixels = await readImage(options.image!, height, width);
  }
  const out = resolve(
    options.out ??
      freeName(
        `explain-${options.index !== undefined ? `test-${options.index}` : basename(options.image!, extname(options.image!))}-${method}.png`,
      ),
  );
  if (extname(out).toLowerCase() !== '.png')
    throw new UsageError(`--out ${options.out}: the picture is a PNG, so the file must end in .png`);
  requireNewFile('--out', out);
  checkTarget(options, model.net.outputs[0]!.shape.at(-1) as number);
  const x = { data: Float32Array.from(pixels, (v) => lo + v * (hi - lo)), shape: [1, height, width, 1] };
  const result = attribute(model, x, method, options);
  const probabilities = model.predict(x) as Tensor;
  const p = Array.from(probabilities.dataSync());
  probabilities.dispose();
  const predicted = p.indexOf(Math.max(...p));
  const picture = heatmapPanels(pixels, result.scores.data, height, width);
  const image = tf.tensor3d(picture.data, [picture.height, picture.width, 3], 'int32') as Tensor3D;
  try {
    await makeFolder(dirname(out));
    await writeFileAtomic(out, await encodePng(image));
  } finally {
    image.dispose();
  }
  const o = makeOutput(options);
  o.info(`predicted class ${predicted} (probability ${p[predicted]!.toFixed(4)})${label === undefined ? '' : `, label ${label}`}`);
  o.info(`${method} attributions for class ${result.targets[0]}: wrote ${out} (input | heatmap, red for and blue against | overlay)`);
  o.json({ predicted, probability: p[predicted], ...(label === undefined ? {} : { label }), target: result.targets[0], method, out });
}

/** A grayscale PNG (or JPEG, BMP, GIF) → `height × width` values in 0…1, resized bilinearly as needed. */
async function readImage(path: string, height: number, width: number): Promise<Float32Array> {
  const file = resolve(path);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(
      `--image ${file}: ${code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a folder, not a file' : (err as Error).message}`,
    );
  }
  const node = (tf as unknown as { node: { decodeImage(bytes: Uint8Array, channels: number): Tensor3D } }).node;
  let decoded: Tensor3D;
  try {
    decoded = node.decodeImage(bytes, 1);
  } catch (err) {
    throw new UsageError(`--image ${file} is not an image dl can read (PNG, JPEG, BMP or GIF): ${(err as Error).message.split('\n')[0]}`);
  }
  return tf.tidy(() => {
    const float = tf.cast(decoded, 'float32') as Tensor3D;
    decoded.dispose();
    const resized = float.shape[0] === height && float.shape[1] === width ? float : tf.image.resizeBilinear(float, [height, width]);
    return tf.div(resized, 255).dataSync() as Float32Array;
  });
}

/** `name` in the current folder, or `name-2`, `name-3`… when taken. */
function freeName(name: string): string {
  const ext = extname(name);
  for (let k = 1; ; k++) {
    const candidate = k === 1 ? name : `${name.slice(0, -ext.length)}-${k}${ext}`;
    if (!existsSync(candidate)) return candidate;
  }
}

async function explainText(
  model: Model,
  modelDir: string,
  preset: Preset,
  method: ExplainMethod,
  options: ExplainCommandOptions,
): Promise<void> {
  const text = preset.text!;
  if (options.index !== undefined || options.image !== undefined || options.out !== undefined) {
    throw new UsageError(
      `--index, --image and --out are for image models; '${preset.name}' takes text: give --text "…" (and --html FILE for a page)`,
    );
  }
  if (options.text === undefined) throw new UsageError('give the text to explain with --text "…"');
  if (method === 'gradcam')
    throw new UsageError(`--method gradcam needs a convolutional model; '${preset.name}' is not one: use ig, smoothgrad or gradxinput`);
  checkTarget(options, 1);
  const html = options.html === undefined ? undefined : resolve(options.html);
  if (html !== undefined) requireNewFile('--html', html);
  const vocabularyPath = join(modelDir, VOCABULARY_JSON);
  if (!existsSync(vocabularyPath))
    throw new UsageError(`${vocabularyPath} not found: a '${preset.name}' model needs the vocabulary \`dl train\` saves beside it`);
  const vocabulary = await loadVocabulary(modelDir);
  const x = text.encode(vocabulary, [options.text]) as { data: Int32Array; shape: number[] };
  const result = attribute(model, x, method, options);
  const words = vocabulary.tokenize(options.text);
  const ids = vocabulary.encode([options.text])[0]!;
  const tokens = wordScores(words, ids, x.data, result.scores.data, vocabulary.getVocabulary(), text.input);
  const probability = result.outputs[0]!;
  const label = text.labels[probability > 0.5 ? 1 : 0];
  const o = makeOutput(options);
  const summary = `${label} (probability of ${text.labels[1]}: ${probability.toFixed(4)}); ${method} scores toward ${text.labels[1]}`;
  o.info(summary);
  if (!options.json && !options.quiet) process.stdout.write(`${process.stdout.isTTY ? ansiTokens(tokens) : markedTokens(tokens)}\n`);
  if (html !== undefined) {
    await makeFolder(dirname(html));
    await writeFileAtomic(html, htmlPage(tokens, `dl explain: ${preset.name}`, summary));
    o.info(`wrote ${html}`);
  }
  o.json({ probability, label, method, tokens, ...(html === undefined ? {} : { html }) });
}

/**
 * Each word of the text with its score. A sequence input holds the words in order (the last `length` of them, padded
 * in front, for the lstm): position by position. Another layout (the text-classifier's bag of words and repeated
 * bigrams) is summed per vocabulary entry, shared among the entry's occurrences, a bigram's half to each word.
 */
function wordScores(
  words: readonly string[],
  ids: Int32Array,
  input: Int32Array,
  scores: Float32Array,
  vocabulary: readonly string[],
  layout: { type: string; padding?: string; truncating?: string },
): TokenScore[] {
  const length = input.length;
  if (layout.type === 'sequence' && layout.padding === 'pre' && layout.truncating === 'pre') {
    const kept = words.slice(Math.max(0, words.length - length));
    return kept.map((token, k) => ({ token, score: scores[length - kept.length + k]! }));
  }
  const perId = new Map<number, number>();
  input.forEach((id, j) => {
    if (id !== 0) perId.set(id, (perId.get(id) ?? 0) + scores[j]!);
  });
  const byWord = new Map<string, number>();
  for (const [id, score] of perId) {
    const entry = vocabulary[id] ?? '';
    const parts = entry.split(' ');
    for (const part of parts) byWord.set(part, (byWord.get(part) ?? 0) + score / parts.length);
  }
  const count = new Map<number, number>();
  for (const id of ids) count.set(id, (count.get(id) ?? 0) + 1);
  return words.map((token, k) => {
    const entry = vocabulary[ids[k]!] ?? token;
    return { token, score: (byWord.get(entry) ?? 0) / (count.get(ids[k]!) ?? 1) };
  });
}
