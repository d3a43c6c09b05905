/// <reference lib="dom" />
// Real headless Chromium for the tests of `dl export --web` pages: Debian's `chromium` package driven by
// playwright-core (Playwright's own browser download is not used). scripts/ensure-chromium.js installs it before
// `pnpm test` when it is missing and the tests run as root; otherwise the web tests are skipped, except under CI.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

export { findChromium, INSTALL_CHROMIUM } from './find-chromium.js';

export function launchChromium(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, headless: true });
}

/** The origin pages are opened under: requests to it are answered from the site's folder by the page's route. */
export const SITE_ORIGIN = 'http://dl-site.test';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
};

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
 * Opens the static site in `dir` in a new page of `browser`, as a static HTTP server would serve it (GET of its
 * files; 404 otherwise), and waits until the page says it is ready (`document.body.dataset.ready`).
 */
export async function openSite(browser: Browser, dir: string, options: SiteOptions = {}): Promise<OpenedSite> {
  const { viewport = { width: 1100, height: 820 }, deviceScaleFactor = 1, query = '' } = options;
  const context = await browser.newContext({ viewport, deviceScaleFactor, hasTouch: viewport.width < 600 });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`page: ${error.message}`));
  page.on('requestfailed', (request) => errors.push(`request: ${request.url()} ${request.failure()?.errorText}`));
  await page.route(`${SITE_ORIGIN}/**`, async (route) => {
    const path = new URL(route.request().url()).pathname;
    const file = normalize(join(dir, path === '/' ? 'index.html' : decodeURIComponent(path)));
    if (!file.startsWith(dir + sep) || !existsSync(file)) return route.fulfill({ status: 404, body: 'not found' });
    return route.fulfill({ status: 200, contentType: TYPES[extname(file)] ?? 'application/octet-stream', body: await readFile(file) });
  });
  await page.goto(`${SITE_ORIGIN}/${query}`);
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
