// The README's pictures of `dl explain` (docs/explain-*.png): a test digit with its Integrated Gradients and Grad-CAM
// heatmaps, and a review's words coloured by Integrated Gradients (the --html page, shot in headless Chromium).
//
//   npx tsc -b && npx tsx scripts/explain-pictures.ts --cnn RUN --lstm RUN [--out docs]
//
// RUN folders are written by `dl train cnn` and `dl train lstm`. Existing pictures are replaced (they are generated).
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findChromium, INSTALL_CHROMIUM, launchChromium } from '../packages/cli/test/browser.js';

const { values } = parseArgs({ options: { cnn: { type: 'string' }, lstm: { type: 'string' }, out: { type: 'string', default: 'docs' } } });
if (!values.cnn || !values.lstm) throw new Error('give --cnn RUN and --lstm RUN (folders written by `dl train`)');
const out = resolve(values.out!);
const REVIEW = 'The first half is dull and the dialogue is awful, but the ending is brilliant and the cast is wonderful. I loved it.';
const bin = resolve('packages/cli/bin/dl.js');
const dl = (...args: string[]) => {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`dl ${args.join(' ')} failed (${r.status})`);
  process.stdout.write(r.stdout);
};

const work = await mkdtemp(join(tmpdir(), 'dl-explain-pictures-'));
try {
  for (const method of ['ig', 'gradcam']) {
    const file = join(work, `${method}.png`);
    dl('explain', values.cnn, '--index', '0', '--method', method, '--out', file);
    spawnSync('cp', [file, join(out, `explain-digit-${method}.png`)]);
  }
  const page = join(work, 'review.html');
  dl('explain', values.lstm, '--text', REVIEW, '--html', page);
  const chromium = findChromium();
  if (!chromium) throw new Error(`Chromium not found: ${INSTALL_CHROMIUM}`);
  const browser = await launchChromium(chromium);
  try {
    const tab = await browser.newPage({ viewport: { width: 820, height: 300 } });
    await tab.goto(`file://${page}`);
    await tab.screenshot({ path: join(out, 'explain-review.png'), fullPage: true });
  } finally {
    await browser.close();
  }
  console.log(`wrote ${out}/explain-digit-ig.png, explain-digit-gradcam.png, explain-review.png`);
} finally {
  await rm(work, { recursive: true, force: true });
}
