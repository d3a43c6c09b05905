/// <reference lib="dom" />
// `dl export --web`: the exported pages driven in real headless Chromium (Debian's chromium through playwright-core;
// see browser.ts). The pages' own prediction code (window.dl) is fed exact inputs and must agree with dl in Node;
// the drawing pad is driven by mouse events; every page must start without console errors and fit a phone.
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { loadModel } from '@dl/core';
import { tfl } from '@dl/core/tfjs-layers';
import { mnist } from '@dl/data';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRealImdbSlice } from '../../models/test/text-fixtures.js';
import { drawStroke, findChromium, INSTALL_CHROMIUM, launchChromium, type OpenedSite, openSite } from './browser.js';
import { assertBuildIsFresh, lastJsonLine, runDl, tempDir, writeRealMnistSlice, type RunResult } from './run-dl.js';

const CHROMIUM = findChromium();
/** MNIST test images fed through the cnn page. */
const IMAGES = 100;
const PHONE = { width: 390, height: 844 };
const REVIEWS = [
  'A wonderful film, beautifully acted and moving. I loved every minute of it!',
  'Terrible. A boring waste of time<br />and money; the worst acting I have seen.',
  "It wasn't bad, but it wasn't good either... 6/10",
  'The best movie of the year: a masterpiece, highly recommended.',
  'I fell asleep. Awful plot, awful dialogue, awful everything.',
];

/** What the tests call on the pages (app.js exposes it as window.dl). */
interface PageApi {
  backend: string;
  predict(input: unknown): number[] & number;
  generate(): number[][];
  generateFrom(latents: number[][]): number[][];
  images(): number[][];
  columns: number;
  rows: number;
}
declare global {
  interface Window {
    dl: PageApi;
  }
}

let root: string;
let browser: Browser;
const opened: OpenedSite[] = [];
const dl = (...args: string[]): Promise<RunResult> => runDl(args, { cwd: root, env: { DL_DATASETS_DIR: join(root, 'empty-cache') } });
const run = (name: string): string => join(root, 'runs', name);
const site = (name: string): string => join(root, 'sites', name);

async function succeed(result: Promise<RunResult>): Promise<RunResult> {
  const done = await result;
  expect(done.code, done.stderr).toBe(0);
  return done;
}

async function open(name: string): Promise<Page> {
  const page = await openSite(browser, site(name));
  opened.push(page);
  return page.page;
}

/** At the phone's width the page scrolls vertically only: nothing sticks out sideways. */
async function expectFitsPhone(page: Page): Promise<void> {
  await page.setViewportSize(PHONE);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
}

if (CHROMIUM === undefined && process.env['CI']) {
  describe('dl export --web in Chromium', () => {
    it('has Chromium (CI is set, so the browser tests must not be skipped)', () => {
      throw new Error(`Chromium not found: ${INSTALL_CHROMIUM}`);
    });
  });
}

describe.skipIf(CHROMIUM === undefined)('dl export --web in Chromium', () => {
  beforeAll(async () => {
    await assertBuildIsFresh();
    root = await tempDir('dl-web-test-');
    const mnistDir = join(root, 'mnist');
    const imdbDir = join(root, 'imdb');
    await Promise.all([writeRealMnistSlice(mnistDir, { train: 3000, test: IMAGES }), writeRealImdbSlice(imdbDir, 100)]);
    const common = ['--seed', '1', '--json', '--quiet'];
    await Promise.all([
      succeed(dl('train', 'cnn', '--data-dir', mnistDir, '--epochs', '2', '--out', run('cnn'), ...common)),
      succeed(
        dl('train', 'gan', '--data-dir', mnistDir, '--limit', '256', '--batch-size', '64', '--epochs', '1', '--out', run('gan'), ...common),
      ),
      succeed(dl('train', 'lstm', '--data-dir', imdbDir, '--epochs', '1', '--out', run('lstm'), ...common)),
      succeed(dl('train', 'text-classifier', '--data-dir', imdbDir, '--epochs', '1', '--out', run('text-classifier'), ...common)),
    ]);
    await Promise.all([
      ...['cnn', 'gan', 'lstm', 'text-classifier'].map((name) => succeed(dl('export', run(name), '--out', site(name), '--web', '--quiet'))),
      succeed(dl('export', run('cnn'), '--out', site('cnn-uint8'), '--quantize', 'uint8', '--web', '--quiet')),
    ]);
    browser = await launchChromium(CHROMIUM!);
  }, 150_000);
  afterAll(async () => {
    await browser?.close();
    await rm(root, { recursive: true, force: true });
  });

  describe('cnn page', () => {
    let images: number[][];
    let labels: number[];
    let node: number[][];
    let page: Page;

    beforeAll(async () => {
      const [, [xTest, yTest]] = await mnist.loadData({ dataDir: join(root, 'mnist') });
      const n = Math.min(IMAGES, yTest.shape[0]!);
      images = Array.from({ length: n }, (_, i) => Array.from(xTest.data.subarray(i * 784, (i + 1) * 784)));
      labels = Array.from(yTest.data.subarray(0, n));
      const model = await loadModel(run('cnn'));
      const x = Float32Array.from(xTest.data.subarray(0, n * 784), (p) => p / 255);
      const output = model.predict({ data: x, shape: [n, 28, 28, 1] });
      node = (await output.array()) as number[][];
      output.dispose();
      page = await open('cnn');
    });

    it('gives the probabilities of dl in Node for MNIST test images, within 1e-4', async () => {
      const probabilities = await page.evaluate((batch) => batch.map((pixels) => window.dl.predict(pixels)), images);
      expect(probabilities).toHaveLength(images.length);
      let maxDifference = 0;
      probabilities.forEach((row, i) => {
        expect(argmax(row), `image ${i}`).toBe(argmax(node[i]!));
        row.forEach((p, k) => {
          maxDifference = Math.max(maxDifference, Math.abs(p - node[i]![k]!));
        });
      });
      expect(maxDifference).toBeLessThan(1e-4);
      // A model that learned something, so that the drawing test below means something.
      expect(probabilities.filter((row, i) => argmax(row) === labels[i]).length).toBeGreaterThan(0.85 * images.length);
    });

    it('classifies a 1 drawn on the canvas with the mouse, and shows the ten probabilities', async () => {
      await drawStroke(page, [
        [0.53, 0.15],
        [0.5, 0.5],
        [0.47, 0.85],
      ]);
      await expect.poll(() => page.textContent('#prediction')).toBe('1');
      const shown = await page.$$eval('#bars .value', (values) => values.map((v) => Number.parseFloat(v.textContent!)));
      expect(shown).toHaveLength(10);
      expect(argmax(shown)).toBe(1);
      expect(shown.reduce((a, b) => a + b, 0)).toBeCloseTo(100, 0);
      await page.click('#clear');
      expect(await page.textContent('#prediction')).toBe('–');
    });

    it('fits a phone', () => expectFitsPhone(page));

    it('draws with a finger on a touch screen', async () => {
      const touchSite = await openSite(browser, site('cnn'), { viewport: PHONE, deviceScaleFactor: 3 });
      opened.push(touchSite);
      const phone = touchSite.page;
      const box = (await phone.locator('#draw').boundingBox())!;
      const touch = (x: number, y: number) => [{ x: box.x + x * box.width, y: box.y + y * box.height }];
      const cdp = await phone.context().newCDPSession(phone);
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: touch(0.52, 0.15) });
      for (let k = 1; k <= 20; k++) {
        await cdp.send('Input.dispatchTouchEvent', {
          type: 'touchMove',
          touchPoints: touch(0.52 - 0.04 * (k / 20), 0.15 + 0.7 * (k / 20)),
        });
      }
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      await expect.poll(() => phone.textContent('#prediction')).toBe('1');
      // The finger drew instead of scrolling the page.
      expect(await phone.evaluate(() => window.scrollY)).toBe(0);
      await phone.context().close();
    });

    it('a uint8-quantized export gives the same class on at least 99 of the images', async () => {
      const quantized = await open('cnn-uint8');
      const probabilities = await quantized.evaluate((batch) => batch.map((pixels) => window.dl.predict(pixels)), images);
      const same = probabilities.filter((row, i) => argmax(row) === argmax(node[i]!)).length;
      expect(same).toBeGreaterThanOrEqual(Math.ceil(0.99 * images.length));
      expect(await quantized.textContent('#subtitle')).toContain('uint8');
    });
  });

  describe.each(['lstm', 'text-classifier'])('%s page', (preset) => {
    let page: Page;
    beforeAll(async () => {
      page = await open(preset);
    });

    it('gives the probability `dl predict --json` gives for five reviews, within 1e-4', async () => {
      const inPage = await page.evaluate((reviews) => reviews.map((review) => window.dl.predict(review)), REVIEWS);
      const fromCli = await Promise.all(
        REVIEWS.map(async (review) => lastJsonLine((await succeed(dl('predict', run(preset), '--text', review, '--json'))).stdout)),
      );
      inPage.forEach((probability, i) => {
        expect(Math.abs(probability - (fromCli[i]!['probability'] as number)), REVIEWS[i]).toBeLessThan(1e-4);
      });
    });

    it('shows the sentiment of what is typed', async () => {
      await page.fill('#review', REVIEWS[0]!);
      const expected = await page.evaluate((review) => window.dl.predict(review), REVIEWS[0]!);
      await expect.poll(() => page.textContent('#probability')).toBe(`probability of positive: ${expected.toFixed(3)}`);
      expect(await page.textContent('#sentiment')).toBe(expected > 0.5 ? 'positive' : 'negative');
    });

    it('fits a phone', () => expectFitsPhone(page));
  });

  describe('gan page', () => {
    let page: Page;
    let generator: Awaited<ReturnType<typeof tfl.loadLayersModel>>;
    beforeAll(async () => {
      page = await open('gan');
      // The export read by TensorFlow.js in Node, on dl's native backend.
      generator = await tfl.loadLayersModel(`file://${join(site('gan'), 'model.json')}`);
    });

    it("draws the generator's images: those of dl in Node for the same latent vectors", async () => {
      const latents = Array.from({ length: 4 }, (_, n) => Array.from({ length: 100 }, (_, k) => Math.sin(n * 100 + k)));
      const inPage = await page.evaluate((z) => window.dl.generateFrom(z), latents);
      const output = generator.predict(tfl.tensor2d(latents)) as ReturnType<typeof tfl.tensor2d>;
      const values = output.dataSync();
      output.dispose();
      inPage.flat().forEach((pixel, i) => {
        // The page maps [-1, 1] onto 0…255 and rounds.
        expect(Math.abs(pixel - ((values[i]! + 1) * 255) / 2)).toBeLessThanOrEqual(0.5 + 1e-3);
      });
    });

    it('draws a fresh grid of digits on every click', async () => {
      const before = (await page.evaluate(() => window.dl.images())).flat();
      await page.click('#generate');
      await expect.poll(() => page.textContent('#gan-info')).toMatch(/^\d+ digits in \d+ ms$/);
      const { images, columns, rows } = await page.evaluate(() => ({
        images: window.dl.images(),
        columns: window.dl.columns,
        rows: window.dl.rows,
      }));
      expect(images).toHaveLength(columns * rows);
      expect(before).toHaveLength(columns * rows * 28 * 28);
      expect(images.flat().some((v, i) => v !== before[i])).toBe(true);
      // The canvas shows those digits, cell by cell.
      const drawn = await gridPixels(page);
      const width = columns * 28;
      images.forEach((pixels, n) => {
        const [cx, cy] = [(n % columns) * 28, Math.floor(n / columns) * 28];
        pixels.forEach((v, i) => {
          if (drawn[(cy + Math.floor(i / 28)) * width + cx + (i % 28)] !== v) throw new Error(`digit ${n}, pixel ${i}: drawn ≠ generated`);
        });
      });
    });

    it('fits a phone', () => expectFitsPhone(page));
  });

  it('no page logged an error', () => {
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.flatMap((o) => o.errors)).toEqual([]);
  });
});

/** The grid canvas's red channel, row by row. */
function gridPixels(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('#grid')!;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    return Array.from({ length: data.length / 4 }, (_, i) => data[i * 4]!);
  });
}

function argmax(row: readonly number[]): number {
  return row.indexOf(Math.max(...row));
}
