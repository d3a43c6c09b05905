// `dl serve` end to end: the real CLI on a free port, serving a small cnn run, a small text-classifier run and a copy
// of the cnn run holding an index.html (a web export), through TensorFlow Serving's REST API. Checks the answers
// against the models' own predictions, each error case, 200 concurrent mixed requests, and SIGTERM under load.
import type { ChildProcess } from 'node:child_process';
import { cp, rm, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';
import { loadModel, type Model } from '@dl/core';
import { mnist } from '@dl/data';
import { classifyTexts, gan, loadVocabulary, samplingGeneratorDir, textClassifier } from '@dl/models';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRealImdbSlice } from '../../models/test/text-fixtures.js';
import { assertBuildIsFresh, lastJsonLine, type RunResult, runDl, tempDir, writeRealMnistSlice } from './run-dl.js';

const REVIEWS = [
  'This movie was wonderful. The acting was brilliant and the story beautiful and moving. I loved it.',
  'The worst film I have ever seen. Terrible acting, a boring plot, awful dialogue. A waste of time.',
  'It was fine, I guess.',
  '',
  'zzqxv qqwzx',
  'An ok film with some great moments and some bad ones; the ending was good though.',
];
const WEB_PAGE = '<!doctype html><title>digits</title><p>the web export of the cnn</p>';

let root: string;
let env: Record<string, string>;
let cnnRun: string;
let textRun: string;
/** MNIST test images scaled to [0, 1], as nested 28×28 arrays. */
let images: number[][][];

/** The parts of TF Serving's GetModelMetadataResponse the tests read. */
interface Metadata {
  model_spec: unknown;
  metadata: {
    signature_def: { signature_def: Record<string, { inputs: Record<string, TensorInfo>; outputs: Record<string, TensorInfo> }> };
  };
  dl: Record<string, unknown>;
}
type TensorInfo = { tensor_shape: { dim: Array<{ size: string }> } };

interface Server {
  url: string;
  child: ChildProcess;
  /** Resolves when the process has exited. */
  exited: Promise<RunResult>;
}

/** `dl serve …args --port 0 --json`, once it listens. */
async function startServer(args: string[]): Promise<Server> {
  let child: ChildProcess | undefined;
  let listening: (url: string) => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const exited = runDl(['serve', ...args, '--port', '0', '--json'], {
    cwd: root,
    env,
    timeoutMs: 240_000,
    onOutput: ({ stdout }, c) => {
      child = c;
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line !== undefined) listening((JSON.parse(line) as { url: string }).url);
    },
  });
  const ready = await Promise.race([url, exited]);
  if (typeof ready !== 'string') throw new Error(`dl serve exited with ${ready.code} before listening: ${ready.stderr}`);
  return { url: ready, child: child!, exited };
}

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  await assertBuildIsFresh();
  root = await tempDir('dl-serve-test-');
  env = { DL_DATASETS_DIR: join(root, 'empty-cache') };
  const mnistDir = join(root, 'mnist');
  const imdbDir = join(root, 'imdb');
  await writeRealMnistSlice(mnistDir, { train: 300, test: 40 });
  await writeRealImdbSlice(imdbDir, 150);
  cnnRun = join(root, 'runs', 'cnn');
  textRun = join(root, 'runs', 'text');
  const trainings = await Promise.all([
    runDl(['train', 'cnn', '--data-dir', mnistDir, '--limit', '300', '--epochs', '1', '--seed', '1', '--out', cnnRun, '--quiet'], {
      cwd: root,
      env,
    }),
    runDl(['train', 'text-classifier', '--data-dir', imdbDir, '--epochs', '1', '--seed', '1', '--out', textRun, '--quiet'], {
      cwd: root,
      env,
    }),
  ]);
  for (const r of trainings) expect(r.code, r.stderr).toBe(0);
  const [, [xTest]] = await mnist.loadData({ dataDir: mnistDir });
  images = Array.from({ length: xTest.shape[0]! }, (_, i) =>
    Array.from({ length: 28 }, (_, r) => Array.from({ length: 28 }, (_, c) => xTest.data[i * 784 + r * 28 + c]! / 255)),
  );
}, 240_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('dl serve: cnn, text-classifier and a web export on one port', () => {
  let server: Server;
  let api: string;
  let cnn: Model;
  let text: Model;
  let ganRun: string;

  beforeAll(async () => {
    const webRun = join(root, 'runs', 'web');
    await cp(cnnRun, webRun, { recursive: true });
    await writeFile(join(webRun, 'index.html'), WEB_PAGE);
    // A GAN run as `dl train gan` saves it (generator/, generator-ema/, discriminator/), untrained: serving is the same.
    ganRun = join(root, 'runs', 'gan');
    await gan.build().save(ganRun);
    server = await startServer([cnnRun, `reviews=${textRun}`, webRun, ganRun, '--max-body', '100000', '--batch-timeout-ms', '5']);
    api = `${server.url}/v1/models`;
    [cnn, text] = await Promise.all([loadModel(cnnRun), loadModel(textRun)]);
  }, 240_000);

  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
  });

  /** The cnn's probabilities for images[i] for each i, computed here with the run's model. */
  function cnnPredictions(indices: number[]): number[][] {
    const data = Float32Array.from(indices.flatMap((i) => images[i]!.flat()));
    const output = cnn.predict({ data, shape: [indices.length, 28, 28, 1] });
    const rows = output.arraySync() as number[][];
    output.dispose();
    return rows;
  }

  async function textPredictions(texts: string[]) {
    return classifyTexts(text, textClassifier.text!, await loadVocabulary(textRun), texts);
  }

  it('says where it listens and which models it serves, bound to 127.0.0.1', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("GET /v1/models/NAME: TF Serving's model status", async () => {
    for (const name of ['cnn', 'reviews', 'web', 'gan']) {
      const response = await fetch(`${api}/${name}`);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }],
      });
    }
    expect((await fetch(`${api}/cnn/versions/1`)).status).toBe(200);
  });

  it('GET /v1/models/NAME/metadata: the signature with input and output shapes', async () => {
    const metadata = (await (await fetch(`${api}/cnn/metadata`)).json()) as Metadata;
    expect(metadata.model_spec).toEqual({ name: 'cnn', signature_name: '', version: '1' });
    const signature = metadata.metadata.signature_def.signature_def['serving_default']!;
    expect(signature.inputs['instances']!.tensor_shape.dim.map((d) => d.size)).toEqual(['-1', '28', '28', '1']);
    expect(signature.outputs['probabilities']!.tensor_shape.dim.map((d) => d.size)).toEqual(['-1', '10']);
    const textMetadata = (await (await fetch(`${api}/reviews/metadata`)).json()) as Metadata;
    expect(textMetadata.dl).toMatchObject({ kind: 'text-classifier', preset: 'text-classifier', labels: ['negative', 'positive'] });
  });

  it('/ serves the web export; /status lists every model', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toBe(WEB_PAGE);
    const status = await (await fetch(`${server.url}/status`)).text();
    for (const name of ['cnn', 'reviews', 'web', 'gan']) expect(status).toContain(`POST /v1/models/${name}:predict`);
  });

  it('image instances (28×28 or 28×28×1, in [0, 1]) → the ten probabilities the model gives', async () => {
    const { status, json } = await post(`${api}/cnn:predict`, { instances: [images[0], images[1]!.map((row) => row.map((v) => [v]))] });
    expect(status).toBe(200);
    const predictions = json['predictions'] as number[][];
    const expected = cnnPredictions([0, 1]);
    expect(predictions).toHaveLength(2);
    predictions.forEach((p, i) => p.forEach((v, k) => expect(v).toBeCloseTo(expected[i]![k]!, 5)));
  });

  it('text instances are raw strings → the probability `dl predict` gives; with_labels adds the label', async () => {
    const { status, json } = await post(`${api}/reviews:predict`, { instances: REVIEWS.slice(0, 2) });
    expect(status).toBe(200);
    const cli = await runDl(['predict', textRun, '--text', REVIEWS[0]!, '--json'], { cwd: root, env });
    expect(cli.code, cli.stderr).toBe(0);
    expect((json['predictions'] as number[])[0]).toBeCloseTo(lastJsonLine(cli.stdout)['probability'] as number, 5);
    const labelled = await post(`${api}/reviews:predict`, { signature_name: 'with_labels', instances: REVIEWS.slice(0, 2) });
    const expected = await textPredictions(REVIEWS.slice(0, 2));
    expect(labelled.json['predictions']).toEqual(
      expected.map((p) => ({ probability: expect.closeTo(p.probability, 5), label: p.label, known_tokens: p.knownTokens })),
    );
  });

  it('a GAN run serves its generator: latent vectors → 28×28×1 images in [-1, 1], as the generator draws them', async () => {
    const latents = [Array.from({ length: 100 }, (_, i) => Math.sin(i)), Array.from({ length: 100 }, (_, i) => Math.cos(3 * i))];
    const { status, json } = await post(`${api}/gan:predict`, { instances: latents });
    expect(status).toBe(200);
    const generator = await loadModel(samplingGeneratorDir(ganRun));
    const output = generator.predict({ data: Float32Array.from(latents.flat()), shape: [2, 100] });
    const expected = (output.arraySync() as number[][][][]).flat(3);
    output.dispose();
    const predictions = json['predictions'] as number[][][][];
    expect(predictions.map((p) => [p.length, p[0]!.length, p[0]![0]!.length])).toEqual([
      [28, 28, 1],
      [28, 28, 1],
    ]);
    predictions.flat(3).forEach((v, i) => {
      expect(Math.abs(v - expected[i]!)).toBeLessThan(1e-5);
      expect(Math.abs(v)).toBeLessThanOrEqual(1);
    });
    const wrong = await post(`${api}/gan:predict`, { instances: [[1, 2]] });
    expect(wrong.status).toBe(400);
    expect(wrong.json['error']).toMatch(/instances\[0\] has 2 elements, not 100: each instance must be a latent vector of 100 numbers/);
  });

  it('columnar {"inputs": …} → {"outputs": …}', async () => {
    const { status, json } = await post(`${api}/reviews:predict`, { inputs: REVIEWS.slice(0, 3), signature_name: 'with_labels' });
    expect(status).toBe(200);
    const outputs = json['outputs'] as Record<string, unknown[]>;
    expect(Object.keys(outputs).sort()).toEqual(['known_tokens', 'label', 'probability']);
    expect(outputs['probability']).toHaveLength(3);
  });

  describe('errors: TF Serving-style {"error": …}, and the server lives on', () => {
    it('malformed JSON → 400', async () => {
      const { status, json } = await post(`${api}/cnn:predict`, '{"instances": [[0, 1');
      expect(status).toBe(400);
      expect(json['error']).toMatch(/not valid JSON/);
    });

    it('an image of the wrong shape → 400 naming the expected shape and the wrong element', async () => {
      const { status, json } = await post(`${api}/cnn:predict`, { instances: [images[0], images[1]!.slice(0, 27)] });
      expect(status).toBe(400);
      expect(json['error']).toMatch(/^instances\[1\] has 27 elements, not 28: .*28×28 .*\(shape \[28,28,1\]\)$/);
    });

    it('pixel values on the 0–255 scale → 400 saying the model takes [0, 1]', async () => {
      const { status, json } = await post(`${api}/cnn:predict`, { instances: [images[0]!.map((row) => row.map((v) => v * 255))] });
      expect(status).toBe(400);
      expect(json['error']).toMatch(/outside \[0, 1\].*pixel values in \[0, 1\]/);
    });

    it('a text model given a number, a body without instances, an empty list, an unknown signature → 400', async () => {
      const cases: Array<[unknown, RegExp]> = [
        [{ instances: ['fine', 3] }, /instances\[1\] is 3, not a string/],
        [{ examples: ['fine'] }, /exactly one of "instances".*"inputs"/],
        [{ instances: [] }, /"instances" is an array of 0: expected a non-empty list/],
        [[1, 2], /the request body is an array of 2: expected a JSON object/],
        [{ instances: ['fine'], signature_name: 'nope' }, /"signature_name" "nope" is not a signature.*serving_default, with_labels/],
      ];
      for (const [body, message] of cases) {
        const { status, json } = await post(`${api}/reviews:predict`, body);
        expect(status, JSON.stringify(body)).toBe(400);
        expect(json['error']).toMatch(message);
      }
    });

    it('an unknown model or version → 404 listing the served models', async () => {
      const { status, json } = await post(`${api}/nope:predict`, { instances: ['fine'] });
      expect(status).toBe(404);
      expect(json['error']).toBe("model 'nope' is not served here; served models: cnn, reviews, web, gan");
      expect((await fetch(`${api}/nope`)).status).toBe(404);
      expect((await fetch(`${api}/cnn/versions/2`)).status).toBe(404);
      expect((await post(`${api}/cnn:classify`, { instances: [] })).status).toBe(404);
    });

    it('a body over --max-body → 413', async () => {
      const { status, json } = await post(`${api}/cnn:predict`, { instances: images.slice(0, 40) });
      expect(status).toBe(413);
      expect(json['error']).toMatch(/over the limit of 100000 bytes \(dl serve --max-body\)/);
    });

    it('a wrong method → 405', async () => {
      const response = await fetch(`${api}/cnn:predict`);
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
      expect(((await response.json()) as { error: string }).error).toMatch(/GET is not allowed.*use POST/);
    });

    it('still answers after all of them', async () => {
      expect((await post(`${api}/cnn:predict`, { instances: [images[2]] })).status).toBe(200);
    });
  });

  it('200 concurrent mixed requests of different sizes: none lost, each answer its own, equal to the models', async () => {
    const requests = Array.from({ length: 200 }, (_, k) => {
      const n = 1 + (k % 5);
      if (k % 2 === 0) {
        const indices = Array.from({ length: n }, (_, j) => (k * 7 + j) % images.length);
        return { model: 'cnn', indices, body: { instances: indices.map((i) => images[i]) } };
      }
      const texts = Array.from({ length: n }, (_, j) => REVIEWS[(k + j) % REVIEWS.length]!);
      return { model: 'reviews', texts, body: { instances: texts } };
    });
    const answers = await Promise.all(requests.map((r) => post(`${api}/${r.model}:predict`, r.body)));
    expect(answers.map((a) => a.status)).toEqual(requests.map(() => 200));
    const expectedText = new Map((await textPredictions(REVIEWS)).map((p, i) => [REVIEWS[i]!, p.probability]));
    requests.forEach((r, k) => {
      const predictions = answers[k]!.json['predictions'] as unknown[];
      if (r.indices !== undefined) {
        const expected = cnnPredictions(r.indices);
        expect(predictions).toHaveLength(r.indices.length);
        (predictions as number[][]).forEach((p, i) => p.forEach((v, c) => expect(Math.abs(v - expected[i]![c]!)).toBeLessThan(1e-5)));
      } else {
        expect(predictions).toHaveLength(r.texts!.length);
        (predictions as number[]).forEach((p, i) => expect(Math.abs(p - expectedText.get(r.texts![i]!)!)).toBeLessThan(1e-5));
      }
    });
  });
});

describe('dl serve: usage errors (exit 2)', () => {
  it('two models of the same name', async () => {
    const r = await runDl(['serve', cnnRun, `cnn=${textRun}`, '--port', '0'], { cwd: root, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: two models are named 'cnn' (${cnnRun} and ${textRun}): name one differently with NAME=DIR`);
  });

  it('a port in use', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const r = await runDl(['serve', cnnRun, '--port', String(port)], { cwd: root, env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: port ${port} is in use: choose another with --port N`);
    } finally {
      taken.close();
    }
  });

  it('a folder that holds no model', async () => {
    const r = await runDl(['serve', root, '--port', '0'], { cwd: root, env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${join(root, 'model.json')} not found`);
  });
});

describe('dl serve: SIGTERM under load', () => {
  it('answers every request sent before the signal (queued batches included), then exits 0', async () => {
    // A batch waits up to 5 s for 64 instances: the 60 requests are all still queued when the signal comes, which must
    // run them at once rather than drop them or wait.
    const server = await startServer([cnnRun, '--max-batch-size', '64', '--batch-timeout-ms', '5000']);
    const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
    let written = 0;
    let signalledAt: number | undefined;
    const requests = Array.from({ length: 60 }, (_, k) =>
      rawPost(`${server.url}/v1/models/cnn:predict`, JSON.stringify({ instances: [images[k % images.length]] }), agent, () => {
        // Every request is on the wire: now the signal.
        if (++written === 60) {
          server.child.kill('SIGTERM');
          signalledAt = performance.now();
        }
      }),
    );
    const answers = await Promise.all(requests);
    agent.destroy();
    expect(signalledAt).toBeDefined();
    expect(answers.map((a) => a.status)).toEqual(requests.map(() => 200));
    expect(answers.filter((a) => a.at > signalledAt!).length, 'requests answered after the signal').toBeGreaterThan(0);
    const result = await server.exited;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/SIGTERM: finishing the \d+ request\(s\) in flight/);
    expect(result.stderr).toContain('Stopped: every request received was answered');
    // The port is closed: new connections are refused.
    await expect(fetch(`${server.url}/v1/models/cnn`)).rejects.toThrow();
  });
});

/** POST over node:http, calling `onWritten` once the whole request is on the wire; resolves with the status and when it came. */
function rawPost(url: string, body: string, agent: Agent, onWritten: () => void): Promise<{ status: number; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode!, at: performance.now() }));
    });
    req.on('error', reject);
    req.end(body, onWritten);
  });
}
