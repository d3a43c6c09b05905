import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getFile } from '../src/get-file.js';
import { tempDir } from './idx-fixtures.js';
import { datasetError } from './dataset-test-setup.js';

const CONTENT = Buffer.from('pretend this is train-images-idx3-ubyte.gz\n'.repeat(5000));
const SHA256 = createHash('sha256').update(CONTENT).digest('hex');

let server: Server;
let baseUrl: string;
let requests: string[];
let cacheDir: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    requests.push(request.url ?? '');
    if (request.url === '/file.gz') {
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      response.end(CONTENT);
    } else {
      response.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(async () => {
  requests = [];
  cacheDir = await tempDir();
});
afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

describe('getFile', () => {
  it('downloads into cacheDir/cacheSubdir, verifying the sha256', async () => {
    const path = await getFile('train.gz', { origin: `${baseUrl}/file.gz`, sha256: SHA256, cacheDir, cacheSubdir: 'mnist' });
    expect(path).toBe(join(cacheDir, 'mnist', 'train.gz'));
    expect((await readFile(path)).equals(CONTENT)).toBe(true);
    expect(requests).toEqual(['/file.gz']);
    expect(await readdir(join(cacheDir, 'mnist'))).toEqual(['train.gz']); // no temp left behind
  });

  it('accepts an upper-case sha256', async () => {
    const path = await getFile('train.gz', { origin: `${baseUrl}/file.gz`, sha256: SHA256.toUpperCase(), cacheDir });
    expect((await readFile(path)).equals(CONTENT)).toBe(true);
  });

  it('on sha256 mismatch throws and leaves neither the file nor a temp file', async () => {
    const wrong = '0'.repeat(64);
    const error = await datasetError(getFile('train.gz', { origin: `${baseUrl}/file.gz`, sha256: wrong, cacheDir, cacheSubdir: 'mnist' }));
    expect(error.file).toBe(join(cacheDir, 'mnist', 'train.gz'));
    expect(error.message).toContain('train.gz');
    expect(error.message).toContain('sha256 mismatch');
    expect(error.message).toContain(wrong);
    expect(error.message).toContain(SHA256);
    expect(await readdir(join(cacheDir, 'mnist'))).toEqual([]);
  });

  it('checks an md5 when given one (for publishers that give nothing stronger)', async () => {
    const md5 = createHash('md5').update(CONTENT).digest('hex');
    const path = await getFile('train.gz', { origin: `${baseUrl}/file.gz`, md5, cacheDir });
    expect((await readFile(path)).equals(CONTENT)).toBe(true);
    await writeFile(path, 'damaged');
    await getFile('train.gz', { origin: `${baseUrl}/file.gz`, md5, cacheDir }); // the damaged copy is fetched again
    expect((await readFile(path)).equals(CONTENT)).toBe(true);
    expect(requests).toEqual(['/file.gz', '/file.gz']);
    const wrong = 'f'.repeat(32);
    const error = await datasetError(getFile('other.gz', { origin: `${baseUrl}/file.gz`, md5: wrong, cacheDir }));
    expect(error.message).toContain('md5 mismatch');
    expect(error.message).toContain(wrong);
    expect(error.message).toContain(md5);
    expect(await readdir(cacheDir)).toEqual(['train.gz']);
  });

  it('reuses a cached file without a request', async () => {
    await writeFile(join(cacheDir, 'train.gz'), CONTENT);
    const path = await getFile('train.gz', { origin: `${baseUrl}/file.gz`, sha256: SHA256, cacheDir });
    expect(path).toBe(join(cacheDir, 'train.gz'));
    expect(requests).toEqual([]);
  });

  it('reuses a cached file without a request when no sha256 is given', async () => {
    await writeFile(join(cacheDir, 'notes.txt'), 'hand-made');
    const path = await getFile('notes.txt', { origin: `${baseUrl}/file.gz`, cacheDir });
    expect(await readFile(path, 'utf8')).toBe('hand-made');
    expect(requests).toEqual([]);
  });

  it('replaces a cached file whose sha256 does not match', async () => {
    await mkdir(join(cacheDir, 'mnist'));
    await writeFile(join(cacheDir, 'mnist', 'train.gz'), 'damaged');
    const path = await getFile('train.gz', { origin: `${baseUrl}/file.gz`, sha256: SHA256, cacheDir, cacheSubdir: 'mnist' });
    expect((await readFile(path)).equals(CONTENT)).toBe(true);
    expect(requests).toEqual(['/file.gz']);
  });

  it('turns an HTTP error into a DatasetError naming the URL, and leaves no file', async () => {
    const error = await datasetError(getFile('missing.gz', { origin: `${baseUrl}/missing.gz`, cacheDir }));
    expect(error.message).toContain(`${baseUrl}/missing.gz`);
    expect(error.message).toContain('404');
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('turns a connection failure into a DatasetError', async () => {
    const error = await datasetError(getFile('x.gz', { origin: 'http://127.0.0.1:1/x.gz', cacheDir }));
    expect(error.message).toContain('http://127.0.0.1:1/x.gz');
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('refuses a fileName with a path in it', async () => {
    await expect(getFile('../escape.gz', { origin: `${baseUrl}/file.gz`, cacheDir })).rejects.toThrow(TypeError);
  });
});
