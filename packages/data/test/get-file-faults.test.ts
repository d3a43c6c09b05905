// getFile under faults, against a local HTTP server on 127.0.0.1: throttled and stalled responses, connections cut
// mid-body, a process killed mid-download, and two processes fetching the same file at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatasetError } from '../src/dataset-error.js';
import { getFile } from '../src/get-file.js';
import { tempDir } from './idx-fixtures.js';

const CONTENT = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i} of a pretend dataset\n`).join(''));
const SHA256 = createHash('sha256').update(CONTENT).digest('hex');
const HALF = Math.floor(CONTENT.length / 2);
const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'get-file-child.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

let server: Server;
let baseUrl: string;
let requests: string[];
let cacheDir: string;
/** The /gated response sends half its body, then waits for this to resolve before sending the rest. */
let openGate: () => void;
let gate: Promise<void>;
/** Resolves when a /gated response has sent its first half. */
let halfSent: Promise<void>;
let onHalfSent: () => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(response: ServerResponse, body: Buffer, chunk: number, delayMs: number): Promise<void> {
  for (let offset = 0; offset < body.length && !response.destroyed; offset += chunk) {
    response.write(body.subarray(offset, offset + chunk));
    await sleep(delayMs);
  }
}

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = request.url ?? '';
    requests.push(url);
    const full = { 'content-type': 'application/octet-stream', 'content-length': String(CONTENT.length) };
    if (url === '/file') {
      response.writeHead(200, full).end(CONTENT);
    } else if (url === '/throttled') {
      // 64 KiB slices 20 ms apart: a slow mirror is slow, not broken.
      response.writeHead(200, full);
      void send(response, CONTENT, 64 * 1024, 20).then(() => response.end());
    } else if (url === '/cut') {
      response.writeHead(200, full);
      response.write(CONTENT.subarray(0, HALF), () => setTimeout(() => response.socket?.destroy(), 20));
    } else if (url === '/cut-chunked') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: chunked encoding
      response.write(CONTENT.subarray(0, HALF), () => setTimeout(() => response.socket?.destroy(), 20));
    } else if (url === '/stall') {
      response.writeHead(200, full);
      response.write(CONTENT.subarray(0, HALF)); // ...and nothing more
    } else if (url === '/gated') {
      response.writeHead(200, full);
      response.write(CONTENT.subarray(0, HALF), () => onHalfSent());
      void gate.then(() => {
        if (!response.destroyed) response.end(CONTENT.subarray(HALF));
      });
    } else {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async () => {
  requests = [];
  cacheDir = await tempDir();
  gate = new Promise((resolve) => (openGate = resolve));
  halfSent = new Promise((resolve) => (onHalfSent = resolve));
});
afterEach(async () => {
  openGate();
  await rm(cacheDir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<DatasetError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DatasetError);
  return error as DatasetError;
}

const options = (path: string, extra: object = {}) => ({
  origin: `${baseUrl}${path}`,
  sha256: SHA256,
  cacheDir,
  log: false as const,
  ...extra,
});

interface Child {
  process: ChildProcess;
  lines: Array<Record<string, string>>;
  exited: Promise<number | null>;
}

/** `getFile('data.bin', …)` in another Node process, through get-file-child.ts. */
function childGetFile(path: string): Child {
  const child = spawn(process.execPath, ['--import', TSX, CHILD, `${baseUrl}${path}`, cacheDir, 'data.bin', SHA256], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Array<Record<string, string>> = [];
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
      lines.push(JSON.parse(buffered.slice(0, end)) as Record<string, string>);
      buffered = buffered.slice(end + 1);
    }
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && code !== null) console.error(stderr);
      resolve(code);
    }),
  );
  return { process: child, lines, exited };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const started = Date.now();
  while (!(await condition())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('getFile under faults', () => {
  it('waits out a throttled server and keeps the whole, verified file', async () => {
    const path = await getFile('data.bin', options('/throttled'));
    expect(
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    ).toBe(SHA256);
    expect(await readdir(cacheDir)).toEqual(['data.bin']);
  });

  it('a connection cut mid-body (Content-Length announced) leaves no file, no temp file, no lock', async () => {
    const error = await failure(getFile('data.bin', options('/cut', { sha256: undefined })));
    expect(error.message).toContain(`${baseUrl}/cut`);
    expect(error.message).toMatch(/failed after \d+ bytes of \d+|cut short/);
    expect(await readdir(cacheDir)).toEqual([]);
    // ...and a later run fetches it whole.
    await getFile('data.bin', options('/file'));
    expect(await readdir(cacheDir)).toEqual(['data.bin']);
  });

  it('a connection cut mid-body without a Content-Length (chunked) leaves nothing either, even without a checksum', async () => {
    await failure(getFile('data.bin', options('/cut-chunked', { sha256: undefined })));
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('abandons a stalled download after timeoutMs, saying so, and leaves nothing', async () => {
    const error = await failure(getFile('data.bin', options('/stall', { timeoutMs: 500 })));
    expect(error.message).toContain('no data for 0.5 s');
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('a process killed mid-download leaves only a temp file and its lock, which the next run cleans up without waiting', async () => {
    const child = childGetFile('/gated');
    await halfSent;
    const temp = async () => (await readdir(cacheDir)).find((name) => name.endsWith('.download'));
    // The first half has reached the temp file.
    await until(async () => {
      const name = await temp();
      return name !== undefined && (await stat(join(cacheDir, name))).size >= HALF;
    }, 'the first half in the temp file');
    child.process.kill('SIGKILL');
    await child.exited;

    const left = (await readdir(cacheDir)).sort();
    expect(left).not.toContain('data.bin');
    expect(left).toContain('.data.bin.lock');
    expect(left.some((name) => name.startsWith('.data.bin.') && name.endsWith('.download'))).toBe(true);

    const lines: string[] = [];
    const path = await getFile('data.bin', options('/file', { log: (line: string) => lines.push(line) }));
    // The dead process's lock is taken over at once: no "waiting for it to finish".
    expect(lines.filter((line) => line.includes('waiting'))).toEqual([]);
    expect(
      createHash('sha256')
        .update(await readFile(path))
        .digest('hex'),
    ).toBe(SHA256);
    expect(await readdir(cacheDir)).toEqual(['data.bin']);
  });

  it('two processes fetching the same file at once: one downloads, the other waits, both get the same verified file', async () => {
    const a = childGetFile('/gated');
    const b = childGetFile('/gated');
    // Hold the download at half way until the other process is waiting for the lock.
    await halfSent;
    await until(() => [a, b].some((child) => child.lines.some((line) => line['waiting'] !== undefined)), 'a process waiting for the lock');
    expect(requests).toEqual(['/gated']);
    openGate();
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);

    const results = [a, b].map((child) => child.lines.find((line) => line['path'] !== undefined)?.['path']);
    expect(results).toEqual([join(cacheDir, 'data.bin'), join(cacheDir, 'data.bin')]);
    expect(requests).toEqual(['/gated']); // one download
    const waiting = [a, b].flatMap((child) => child.lines.map((line) => line['waiting']).filter((line) => line !== undefined));
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toContain('is fetching this file; waiting for it to finish');
    expect(
      createHash('sha256')
        .update(await readFile(join(cacheDir, 'data.bin')))
        .digest('hex'),
    ).toBe(SHA256);
    expect(await readdir(cacheDir)).toEqual(['data.bin']);
    expect(existsSync(join(cacheDir, '.data.bin.lock'))).toBe(false);
  });
});
