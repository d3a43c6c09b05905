/**
 * TensorFlow Serving's REST API over fastify (https://www.tensorflow.org/tfx/serving/api_rest): predict, model status
 * and metadata for every served model, each model's requests batched (batcher.ts), errors as TF Serving's
 * `{"error": "…"}` with the HTTP status that fits, and `/`: a web export's site, or a page listing the models.
 */
import type { ServerResponse } from 'node:http';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { Batcher } from './batcher.js';
import { describe } from './dense-instances.js';
import { RequestError } from './request-error.js';
import { DEFAULT_SIGNATURE, type PreparedRequest, type RequestOutput, type Servable } from './servable.js';
import { statusPage } from './status-page.js';

export interface RestApiOptions {
  /** Most instances one batch holds. */
  maxBatchSize: number;
  /** Longest wait of a batch that is not full, ms. */
  batchTimeoutMs: number;
  /** false: every request runs on its own, at once. */
  batching: boolean;
  /** Largest request body, bytes (413 above). */
  maxBody: number;
}

/** The one version of every model: dl serves one folder per name, as TF Serving serves a model's latest version. */
const VERSION = '1';
/** TF Serving's model states this server goes through: loaded before listening, UNLOADING while it shuts down. */
type ModelState = 'AVAILABLE' | 'UNLOADING';

export interface RestApi {
  app: FastifyInstance;
  /** Requests received and not yet answered. */
  readonly inFlight: number;
  /** Requests received since the start. */
  readonly received: number;
  /** Per model: batches run, instances predicted, the largest batch. */
  batchStats(): Record<string, { batches: number; items: number; largest: number }>;
  /** From now on: models report UNLOADING, answers carry `Connection: close`, queued batches run without waiting. */
  startShutdown(): Promise<void>;
}

interface PredictBody {
  instances?: unknown;
  inputs?: unknown;
  signature_name?: unknown;
}

export async function createRestApi(servables: readonly Servable[], options: RestApiOptions): Promise<RestApi> {
  const byName = new Map(servables.map((s) => [s.name, s]));
  const batchers = new Map(
    servables.map((s) => [
      s.name,
      new Batcher<PreparedRequest, RequestOutput>({
        // Without batching each request is a batch of its own: every request fills a batch of size 1.
        maxBatchSize: options.batching ? options.maxBatchSize : 1,
        timeoutMs: options.batching ? options.batchTimeoutMs : 0,
        size: (r) => r.count,
        run: (batch) => s.run(batch),
      }),
    ]),
  );
  let state: ModelState = 'AVAILABLE';
  let inFlight = 0;
  let received = 0;

  const app = Fastify({ bodyLimit: options.maxBody, forceCloseConnections: false, return503OnClosing: false });
  // TF Serving takes the body as JSON whatever its content type (curl -d sends application/x-www-form-urlencoded).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  // Counted on node's own 'request' event, emitted as soon as a request's head is parsed, whatever fastify then does;
  // 'close' comes once per response, sent or aborted, so the count never drifts.
  app.server.on('request', (_request, response: ServerResponse) => {
    inFlight++;
    received++;
    response.once('close', () => inFlight--);
  });
  app.addHook('onRequest', async (_request, reply) => {
    if (state === 'UNLOADING') reply.header('connection', 'close');
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error instanceof RequestError) return reply.code(error.statusCode).send({ error: error.message });
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return reply.code(413).send({ error: `the request body is over the limit of ${options.maxBody} bytes (dl serve --max-body)` });
    if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return reply.code(400).send({ error: 'the request body is empty: expected a JSON object {"instances": [...]}' });
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY')
      return reply.code(400).send({ error: `the request body is not valid JSON: ${error.message}` });
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500)
      return reply.code(error.statusCode).send({ error: error.message });
    // A failure of the model itself: the server lives on; the batch's requests get a 500 naming it.
    process.stderr.write(`dl serve: ${error.stack ?? error.message}\n`);
    return reply.code(500).send({ error: `the model failed on this batch: ${error.message}` });
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: `no endpoint ${request.method} ${request.url}: dl serve answers POST /v1/models/NAME:predict, GET /v1/models/NAME and GET /v1/models/NAME/metadata`,
    }),
  );

  /** `/v1/models/cnn:classify` reaches the routes of `/v1/models/:name`, with the verb in the name. */
  const refuseOtherVerbs = (request: FastifyRequest): void => {
    const { name, version } = request.params as { name?: string; version?: string };
    const verb = `${name ?? ''}/${version ?? ''}`.match(/:([^/]*)/)?.[1];
    if (verb !== undefined)
      throw new RequestError(`dl serve has no '${verb}' method (${request.method} ${request.url}): use POST /v1/models/NAME:predict`, 404);
  };
  const servableOf = (request: FastifyRequest): Servable => {
    refuseOtherVerbs(request);
    const { name, version } = request.params as { name: string; version?: string };
    const servable = byName.get(name);
    if (servable === undefined)
      throw new RequestError(`model '${name}' is not served here; served models: ${[...byName.keys()].join(', ')}`, 404);
    if (version !== undefined && version !== VERSION)
      throw new RequestError(`model '${name}' has no version ${version}: dl serves version ${VERSION} of each model`, 404);
    return servable;
  };

  const status = async (request: FastifyRequest) => {
    servableOf(request);
    return { model_version_status: [{ version: VERSION, state, status: { error_code: 'OK', error_message: '' } }] };
  };
  const metadata = async (request: FastifyRequest) => modelMetadata(servableOf(request));
  const predict = async (request: FastifyRequest) => {
    const servable = servableOf(request);
    const { instances, key, signature } = predictRequest(request.body, servable);
    const prepared = servable.prepare(instances, key);
    const output = await batchers.get(servable.name)!.submit(prepared);
    const predictions = servable.predictions(output, signature);
    return key === 'instances' ? { predictions } : { outputs: columnar(predictions) };
  };
  const notAllowed = (allowed: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    refuseOtherVerbs(request);
    reply.header('allow', allowed);
    throw new RequestError(`${request.method} is not allowed on ${request.url}: use ${allowed}`, 405);
  };

  // `:predict` follows the name in the same path segment, so the name is a regex parameter that stops at the colon.
  const NAME = ':name(^[^/:]+)';
  for (const prefix of [`/v1/models/${NAME}`, `/v1/models/${NAME}/versions/:version(^[^/:]+)`]) {
    // '::' is a literal colon in find-my-way's syntax.
    app.post(`${prefix}::predict`, predict);
    app.route({ method: ['GET', 'PUT', 'DELETE', 'PATCH'], url: `${prefix}::predict`, handler: notAllowed('POST') });
  }
  for (const prefix of ['/v1/models/:name', '/v1/models/:name/versions/:version']) {
    app.get(prefix, status);
    app.get(`${prefix}/metadata`, metadata);
    for (const url of [prefix, `${prefix}/metadata`])
      app.route({ method: ['POST', 'PUT', 'DELETE', 'PATCH'], url, handler: notAllowed('GET') });
  }

  const page = async (request: FastifyRequest, reply: FastifyReply) =>
    reply.type('text/html; charset=utf-8').send(statusPage(servables, state, `${request.protocol}://${request.host}`));
  app.get('/status', page);
  const web = servables.find((s) => s.webRoot !== undefined);
  if (web !== undefined) await app.register(fastifyStatic, { root: web.webRoot!, prefix: '/' });
  else app.get('/', page);

  return {
    app,
    get inFlight() {
      return inFlight;
    },
    get received() {
      return received;
    },
    batchStats: () => Object.fromEntries([...batchers].map(([name, b]) => [name, { ...b.stats }])),
    startShutdown: async () => {
      state = 'UNLOADING';
      await Promise.all([...batchers.values()].map((b) => b.drain()));
    },
  };
}

/** The instances of a predict body (row format `instances`, or columnar `inputs`) and the signature it asks for. */
function predictRequest(body: unknown, servable: Servable): { instances: unknown[]; key: 'instances' | 'inputs'; signature: string } {
  const expected = `{"instances": [...]} with each instance ${servable.input.description}`;
  if (body === undefined) throw new RequestError(`the request body is empty: expected a JSON object ${expected}`);
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new RequestError(`the request body is ${describe(body)}: expected a JSON object ${expected}`);
  const { instances, inputs, signature_name: signature = DEFAULT_SIGNATURE } = body as PredictBody;
  if ((instances === undefined) === (inputs === undefined))
    throw new RequestError(`the request body must have exactly one of "instances" (row format) and "inputs" (columnar): ${expected}`);
  const key = instances !== undefined ? 'instances' : 'inputs';
  const list = instances ?? inputs;
  if (!Array.isArray(list) || list.length === 0)
    throw new RequestError(`"${key}" is ${describe(list)}: expected a non-empty list, ${expected}`);
  if (typeof signature !== 'string' || servable.signatures[signature] === undefined)
    throw new RequestError(
      `"signature_name" ${JSON.stringify(signature)} is not a signature of model '${servable.name}': use one of ${Object.keys(servable.signatures).join(', ')}`,
    );
  return { instances: list, key, signature };
}

/** Row-format predictions → TF Serving's columnar `outputs`: a list, or one list per named output. */
function columnar(predictions: unknown[]): unknown {
  const first = predictions[0];
  if (first === null || typeof first !== 'object' || Array.isArray(first)) return predictions;
  return Object.fromEntries(Object.keys(first).map((k) => [k, predictions.map((p) => (p as Record<string, unknown>)[k])]));
}

/** TF Serving's GetModelMetadataResponse for `servable`, plus what dl knows of it under `dl`. */
function modelMetadata(servable: Servable): unknown {
  const tensorInfo = (dtype: string, shape: readonly number[], name: string) => ({
    dtype,
    tensor_shape: { dim: [-1, ...shape].map((size) => ({ size: String(size), name: '' })), unknown_rank: false },
    name,
  });
  const signatureDef = Object.fromEntries(
    Object.entries(servable.signatures).map(([signature, outputs]) => [
      signature,
      {
        inputs: { instances: tensorInfo(servable.input.dtype, servable.input.shape, 'instances') },
        outputs: Object.fromEntries(Object.entries(outputs).map(([k, t]) => [k, tensorInfo(t.dtype, t.shape, k)])),
        method_name: 'tensorflow/serving/predict',
      },
    ]),
  );
  return {
    model_spec: { name: servable.name, signature_name: '', version: VERSION },
    metadata: { signature_def: { signature_def: signatureDef } },
    dl: {
      kind: servable.kind,
      preset: servable.preset,
      instance: servable.input.description,
      ...(servable.labels !== undefined && { labels: servable.labels }),
    },
  };
}
