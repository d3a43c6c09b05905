// Screenshots of the `dl export --web` pages for the README (docs/web-*.png), in headless Chromium, at a desktop and a
// phone viewport; and, for the GAN, the share of its digits that a cnn classifies with confidence > 0.9.
//
//   npx tsc -b && npx tsx scripts/web-screenshots.ts --cnn RUN --lstm RUN --text-classifier RUN --gan RUN [--out docs]
//
// Each RUN is a folder written by `dl train <preset>` (trained models make the pages worth looking at); presets not
// given are left out. The --gan share needs --cnn too.
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { drawStroke, findChromium, INSTALL_CHROMIUM, launchChromium, openSite } from '../packages/cli/test/browser.js';

const { values } = parseArgs({
  options: {
    cnn: { type: 'string' },
    lstm: { type: 'string' },
    'text-classifier': { type: 'string' },
    gan: { type: 'string' },
    out: { type: 'string', default: 'docs' },
    grids: { type: 'string', default: '10' },
  },
});
const OUT = resolve(values.out);
const BIN = resolve(import.meta.dirname, '../packages/cli/bin/dl.js');
const DESKTOP = { viewport: { width: 1100, height: 760 }, deviceScaleFactor: 1 };
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 };
const REVIEW =
  'One of the best films I have seen this year. The acting is superb, the story is moving and the ending stayed with me for days. Highly recommended.';
/** A 7 in two strokes' worth of points: the bar, then the long diagonal. */
const SEVEN: Array<[number, number]> = [
  [0.25, 0.22],
  [0.72, 0.2],
  [0.6, 0.45],
  [0.45, 0.82],
];

const chromium = findChromium();
if (chromium === undefined) throw new Error(`Chromium not found: ${INSTALL_CHROMIUM}`);
const work = await mkdtemp(join(tmpdir(), 'dl-web-screenshots-'));
const browser = await launchChromium(chromium);

function exportSite(run: string, name: string): string {
  const out = join(work, name);
  const result = spawnSync(process.execPath, [BIN, 'export', resolve(run), '--out', out, '--web', '--quiet'], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`dl export ${run} failed:\n${result.stderr}`);
  return out;
}

/** Opens the site at both sizes, lets `prepare` set the page up, and saves docs/web-<name>.png and web-<name>-phone.png. */
async function capture(site: string, name: string, prepare: (page: Page) => Promise<void>): Promise<void> {
  for (const [size, suffix] of [
    [DESKTOP, ''],
    [PHONE, '-phone'],
  ] as const) {
    const { page, errors } = await openSite(browser, site, size);
    await prepare(page);
    await page.waitForTimeout(300); // the bars' CSS transition
    const path = join(OUT, `web-${name}${suffix}.png`);
    await page.screenshot({ path });
    if (errors.length > 0) throw new Error(`${name}: ${errors.join('; ')}`);
    console.log(`${path} (backend ${await page.evaluate(() => (globalThis as unknown as { dl: { backend: string } }).dl.backend)})`);
    await page.context().close();
  }
}

try {
  if (values.cnn) {
    await capture(exportSite(values.cnn, 'cnn'), 'cnn', async (page) => {
      await drawStroke(page, SEVEN);
      await page.waitForFunction(() => document.querySelector('#prediction')?.textContent !== '–');
      console.log(`cnn: the drawn 7 is classified as ${await page.textContent('#prediction')} (${await page.textContent('#confidence')})`);
    });
  }
  for (const preset of ['lstm', 'text-classifier'] as const) {
    const run = values[preset];
    if (!run) continue;
    await capture(exportSite(run, preset), preset, async (page) => {
      await page.fill('#review', REVIEW);
      await page.waitForFunction(() => document.querySelector('#probability')?.textContent !== '');
    });
  }
  if (values.gan) {
    const site = exportSite(values.gan, 'gan');
    await capture(site, 'gan', async () => {});
    if (values.cnn) await ganShare(site, values.cnn, Number(values.grids));
  }
} finally {
  await browser.close();
  await rm(work, { recursive: true, force: true });
}

/** Draws `grids` grids on the GAN page and classifies every digit with the cnn run in Node; prints the share > 0.9. */
async function ganShare(site: string, cnnRun: string, grids: number): Promise<void> {
  // @dl/core from its sources: the repository root depends on @dl/cli only.
  const { loadModel } = await import('../packages/core/src/index.js');
  const cnn = await loadModel(resolve(cnnRun));
  const { page } = await openSite(browser, site, DESKTOP);
  const digits: number[][] = [];
  for (let g = 0; g < grids; g++) {
    digits.push(...(await page.evaluate(() => (globalThis as unknown as { dl: { generate(): number[][] } }).dl.generate())));
  }
  const x = Float32Array.from(digits.flat(), (p) => p / 255);
  const output = cnn.predict({ data: x, shape: [digits.length, 28, 28, 1] });
  const probabilities = (await output.array()) as number[][];
  output.dispose();
  const confident = probabilities.filter((row) => Math.max(...row) > 0.9).length;
  const classes = new Set(probabilities.map((row) => row.indexOf(Math.max(...row))));
  console.log(
    `gan: ${confident} of ${digits.length} page digits (${((100 * confident) / digits.length).toFixed(1)}%) classified by the cnn with confidence > 0.9; ${classes.size} classes seen`,
  );
}
