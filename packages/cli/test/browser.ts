/// <reference lib="dom" />
// Real headless Chromium for the tests of `dl export --web` pages: Debian's `chromium` package driven by
// playwright-core (Playwright's own browser download is not used). scripts/ensure-chromium.ts installs it before
// `pnpm test` when it is missing and the tests run as root; otherwise the web tests are skipped, except under CI.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export { findChromium, INSTALL_CHROMIUM } from './find-chromium.js';

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true });
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
};

/**
 * Serves the files of `dir` on a free loopback port, as any static HTTP server would (GET of a file, `/` → index.html,
 * 404 otherwise); returns its address. The server is closed when the process ends or by `close()`.
 */
export async function serveFolder(dir: string): Promise<{ url: string; close(): Promise<void> }> {
  const root = resolve(dir);
  const server = createServer(async (request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    const body = file.startsWith(root + sep) ? await readFile(file).catch(() => undefined) : undefined;
    if (body === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  server.unref();
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/`, close: () => new Promise((done) => server.close(() => done())) };
}

export interface SiteOptions {
  viewport?: { width: number; height: number };
  deviceScaleFactor?: number;
  /** Appended to the page's address, e.g. '?backend=cpu'. */
  query?: string;
}

export interface OpenedSite {
  page: Page;
  /** Console errors, page errors and failed requests, as they happen. */
  errors: string[];
}

/**
 * Serves the static site in `dir` over HTTP on loopback (serveFolder), opens it in a new page of `browser` and waits
 * until the page says it is ready (`document.body.dataset.ready`). The server closes with the page's context.
 */
export async function openSite(browser: Browser, dir: string, options: SiteOptions = {}): Promise<OpenedSite> {
  const { viewport = { width: 1100, height: 820 }, deviceScaleFactor = 1, query = '' } = options;
  const server = await serveFolder(dir);
  const context = await browser.newContext({ viewport, deviceScaleFactor, hasTouch: viewport.width < 600 });
  context.on('close', () => void server.close());
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  page.on('requestfailed', (request) => errors.push(`request: ${request.url()} ${request.failure()?.errorText}`));
  await page.goto(`${server.url}${query}`);
  await page.waitForFunction(() => document.body.dataset['ready'] !== undefined, undefined, { timeout: 60_000 });
  const ready = await page.evaluate(() => document.body.dataset['ready']);
  if (ready !== 'true') throw new Error(`the page did not start: ${await page.textContent('#status')}; ${errors.join('; ')}`);
  return { page, errors };
}

/**
 * Draws one stroke on the page's drawing pad (`#draw`) with the mouse: through `points`, given as fractions of the
 * pad's width and height.
 */
export async function drawStroke(page: Page, points: ReadonlyArray<readonly [number, number]>): Promise<void> {
  const box = await page.locator('#draw').boundingBox();
  if (box === null) throw new Error('the page has no visible #draw canvas');
  const at = ([x, y]: readonly [number, number]): [number, number] => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(points[0]!));
  await page.mouse.down();
  for (const point of points.slice(1)) await page.mouse.move(...at(point), { steps: 12 });
  await page.mouse.up();
}
