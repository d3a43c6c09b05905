import { Server } from 'node:net';
import { resolve } from 'node:path';
import { makeOutput } from '../output.js';
import { createRestApi, type RestApi } from '../serve/rest-api.js';
import { loadServable, type Servable } from '../serve/servable.js';
import { UsageError } from '../usage-error.js';

export interface ServeCommandOptions {
  port?: number;
  host?: string;
  maxBatchSize?: number;
  batchTimeoutMs?: number;
  /** commander's `--no-batching`: false when given. */
  batching?: boolean;
  maxBody?: number;
  json?: boolean;
  quiet?: boolean;
}

/** TF Serving's REST port. */
export const DEFAULT_PORT = 8501;
export const DEFAULT_MAX_BATCH_SIZE = 64;
export const DEFAULT_BATCH_TIMEOUT_MS = 2;
/** 8 MB: a batch of ~500 images as JSON; larger requests are refused with 413. */
export const DEFAULT_MAX_BODY = 8 * 1024 * 1024;
/** After a signal, how long no request may arrive (with none in flight) before the open connections are closed. */
const QUIET_MS = 100;
/** After a signal, how long connections are still accepted (their answers say `Connection: close`). */
const LISTEN_GRACE_MS = 250;

/** A model name as it appears in `/v1/models/NAME:predict`: no slash, no colon, nothing to escape in a URL. */
const MODEL_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * `dl serve DIR...`: serves the models in the given folders over TensorFlow Serving's REST API on one port, until
 * SIGTERM or SIGINT; then it stops accepting connections, answers every request already received (queued batches
 * included) and exits 0.
 */
export async function serve(dirs: string[], options: ServeCommandOptions): Promise<void> {
  const out = makeOutput(options);
  const named = dirs.map(parseModelArgument);
  const seen = new Map<string, string>();
  for (const { name, dir } of named) {
    const other = seen.get(name);
    if (other !== undefined)
      throw new UsageError(
        `two models are named '${name}' (${other} and ${dir}): name one differently with NAME=DIR, e.g. ${name}-2=${dir}`,
      );
    seen.set(name, dir);
  }
  const servables: Servable[] = [];
  for (const { name, dir } of named) servables.push(await loadServable(dir, name));

  const maxBatchSize = options.batching === false ? 1 : (options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE);
  for (const s of servables) s.warmUp(maxBatchSize);
  const api = await createRestApi(servables, {
    maxBatchSize,
    batchTimeoutMs: options.batchTimeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS,
    batching: options.batching !== false,
    maxBody: options.maxBody ?? DEFAULT_MAX_BODY,
  });
  const host = options.host ?? '127.0.0.1';
  let address: string;
  try {
    address = await api.app.listen({ port: options.port ?? DEFAULT_PORT, host });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${options.port ?? DEFAULT_PORT} is in use: choose another with --port N`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host ${host}: no such address on this machine`);
    if (code === 'EACCES') throw new UsageError(`port ${options.port}: not allowed for this user (ports below 1024 need root)`);
    throw err;
  }
  const url = address.replace('[::1]', 'localhost');
  for (const s of servables)
    out.info(`Serving '${s.name}' (${s.kind}, ${s.preset}) from ${s.dir}: POST ${url}/v1/models/${s.name}:predict`);
  const batching = options.batching !== false;
  out.info(
    `Listening on ${url} (${batching ? `batching up to ${options.maxBatchSize ?? DEFAULT_MAX_BATCH_SIZE} instances, waiting at most ${options.batchTimeoutMs ?? DEFAULT_BATCH_TIMEOUT_MS} ms` : 'no batching'}); Ctrl-C stops`,
  );
  out.json({ url, models: servables.map((s) => ({ name: s.name, kind: s.kind, preset: s.preset, dir: s.dir })) });

  await new Promise<void>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals) => {
      if (stopping) {
        // A second signal: the user does not want to wait.
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      stopping = true;
      out.info(`${signal}: finishing the ${api.inFlight} request(s) in flight, then exiting`);
      void shutdown(api).then(done);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
  for (const [name, { batches, items, largest }] of Object.entries(api.batchStats())) {
    if (batches > 0)
      out.info(`'${name}': ${items} instances in ${batches} batches (${(items / batches).toFixed(1)} per batch, at most ${largest})`);
  }
  out.info('Stopped: every request received was answered');
  process.exit(0);
}

/**
 * Stops accepting connections (after LISTEN_GRACE_MS) and answers every request received. Connections accepted
 * before the signal may still carry requests the event loop has not read yet (it was busy running a batch, or the
 * process was not scheduled): they stay open until nothing is in flight and no request came during QUIET_MS and one
 * more poll of the sockets; answers sent meanwhile say `Connection: close`, so clients open no more requests on them.
 */
async function shutdown(api: RestApi): Promise<void> {
  const server = api.app.server;
  const drained = api.startShutdown();
  // Connections the kernel completed before the signal may not be accepted yet (measured under load: 41 of 60 after
  // one turn of the event loop), and closing the listening socket resets them: accept for a moment longer.
  await new Promise((r) => setTimeout(r, LISTEN_GRACE_MS));
  await new Promise((r) => setImmediate(r));
  // net's close, not http's: since Node 19 http's also drops idle keep-alive connections, which may hold unread requests.
  Server.prototype.close.call(server);
  for (;;) {
    while (api.inFlight > 0) await new Promise((r) => setTimeout(r, 10));
    const seen = api.received;
    await new Promise((r) => setTimeout(r, QUIET_MS));
    // setImmediate runs after the poll phase that follows the timer: whatever had reached the sockets is read by then,
    // even if this process was not scheduled for longer than QUIET_MS.
    await new Promise((r) => setImmediate(r));
    if (api.inFlight === 0 && api.received === seen) break;
  }
  await drained;
  server.closeAllConnections();
}

/** `NAME=DIR` or `DIR` (named after the folder). */
function parseModelArgument(arg: string): { name: string; dir: string } {
  const eq = arg.indexOf('=');
  const name = eq > 0 ? arg.slice(0, eq) : resolve(arg).split('/').pop()!;
  const dir = eq > 0 ? arg.slice(eq + 1) : arg;
  if (!MODEL_NAME.test(name))
    throw new UsageError(
      `model name '${name}' (from ${arg}) may hold only letters, digits, '.', '_' and '-': name it with NAME=DIR, e.g. digits=${dir}`,
    );
  return { name, dir: resolve(dir) };
}
