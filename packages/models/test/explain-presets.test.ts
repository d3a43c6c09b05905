// Integrated Gradients on the presets' own networks, trained briefly on real data (core's explain.test.ts uses small
// models): its scores sum to f(x) − f(baseline) within 1% at the default steps on 100 MNIST test images (cnn) and
// 100 IMDB test reviews (lstm), and the trained cnn's attributions are unrelated to those of the same network
// re-initialised (model randomisation, Adebayo et al. 2018). The fully trained presets' figures are in the README
// (scripts/explain-faithfulness.ts).
import { join } from 'node:path';
import { explain, type Model, setSeed, type ShapedArray } from '@dl/core';
import { describe, expect, it } from 'vitest';
import { spearman } from '../../core/test/helpers.js';
import { cnn, lstm } from '../src/index.js';
import { isolateDatasetsCache } from './isolated-datasets.js';
import { writeRealImdbSlice } from './text-fixtures.js';

const temp = isolateDatasetsCache();
const N = 100;

const head = (x: ShapedArray, n: number): ShapedArray => {
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  return { data: x.data.slice(0, n * per), shape: [n, ...x.shape.slice(1)] };
};

/** The worst |Σ scores − (f(x) − f(baseline))| / |f(x) − f(baseline)| over the samples, from the scores themselves. */
function worstCompleteness(ig: explain.IntegratedGradientsResult): number {
  const n = ig.outputs.length;
  const per = ig.scores.data.length / n;
  let worst = 0;
  for (let i = 0; i < n; i++) {
    const total = ig.scores.data.subarray(i * per, (i + 1) * per).reduce((a, b) => a + b, 0);
    const expected = ig.outputs[i]! - ig.baselineOutputs[i]!;
    worst = Math.max(worst, Math.abs(total - expected) / Math.abs(expected));
  }
  return worst;
}

describe('integrated gradients on the cnn preset, 1 epoch on 2,000 MNIST images', () => {
  it('sum to f(x) − f(baseline) within 1% on 100 test images; a re-initialised copy is uncorrelated', { timeout: 300_000 }, async () => {
    const { train, test } = await cnn.loadData({ limit: 2000, log: false });
    setSeed(1);
    const trained: Model = cnn.build();
    await trained.fit(train.x, train.y, { epochs: 1, batchSize: 16, verbose: 0 });
    const x = head(test.x, N);
    const ig = explain.integratedGradients(trained, x);
    const worst = worstCompleteness(ig);
    console.log(`cnn: worst completeness error ${(100 * worst).toFixed(3)}% (steps taken: ${[...new Set(ig.steps)].join(', ')})`);
    expect(worst).toBeLessThanOrEqual(0.01);

    setSeed(2);
    const fresh = cnn.build();
    const target = Array.from(ig.targets);
    const other = explain.integratedGradients(fresh, x, { target });
    let total = 0;
    for (let i = 0; i < N; i++) {
      total += spearman(ig.scores.data.subarray(i * 784, (i + 1) * 784), other.scores.data.subarray(i * 784, (i + 1) * 784));
    }
    console.log(`cnn: mean Spearman, trained vs re-initialised: ${(total / N).toFixed(3)}`);
    expect(Math.abs(total / N)).toBeLessThan(0.2);
    trained.net.dispose();
    fresh.net.dispose();
  });
});

describe('integrated gradients on the lstm preset, 1 epoch on 2,000 IMDB reviews', () => {
  it('sum to f(x) − f(baseline) within 1% per review, over its tokens, on 100 test reviews', { timeout: 300_000 }, async () => {
    const dataDir = await writeRealImdbSlice(join(temp.root, 'imdb-slice'), 1000);
    const { train, test } = await lstm.loadData({ dataDir, log: false });
    setSeed(1);
    const model = lstm.build();
    await model.fit(train.x, train.y, { epochs: 1, batchSize: 32, verbose: 0 });
    const ig = explain.integratedGradients(model, head(test.x, N));
    expect(ig.scores.shape).toEqual([N, 200]);
    const worst = worstCompleteness(ig);
    console.log(`lstm: worst completeness error ${(100 * worst).toFixed(3)}% (steps taken: ${[...new Set(ig.steps)].join(', ')})`);
    expect(worst).toBeLessThanOrEqual(0.01);
    model.net.dispose();
  });
});
