// The figures of the README's "Explain a prediction" section: Integrated Gradients' completeness, the model-randomisation
// sanity check (Adebayo et al. 2018), deletion curves on MNIST, token deletion on IMDB, and speed.
//
//   npx tsc -b && npx tsx scripts/explain-faithfulness.ts --cnn RUN [--lstm RUN] [--only completeness,sanity,deletion,text,speed]
//
// RUN folders are written by `dl train cnn` and `dl train lstm`. Prints one block per measurement and a JSON line at
// the end. Not a test: it takes minutes (most of it the 1,000 reviews).
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { explain, loadModel, setSeed, type Model, type Tensor } from '../packages/core/dist/index.js';
import { getPreset } from '../packages/models/dist/index.js';

const { values } = parseArgs({
  options: {
    cnn: { type: 'string' },
    lstm: { type: 'string' },
    only: { type: 'string' },
    images: { type: 'string', default: '1000' },
    reviews: { type: 'string', default: '1000' },
  },
});
const only = new Set((values.only ?? 'completeness,sanity,deletion,text,speed').split(','));
const results: Record<string, unknown> = {};
const log = (line: string) => console.log(line);
const load = () =>
  execFileSync('uptime')
    .toString()
    .trim()
    .replace(/.*load/, 'load');
setSeed(1);

type Rows = { data: Float32Array | Int32Array; shape: number[] };
const rows = (x: Rows, start: number, count: number): Rows => {
  const per = x.shape.slice(1).reduce((a, b) => a * b, 1);
  return { data: x.data.slice(start * per, (start + count) * per) as never, shape: [count, ...x.shape.slice(1)] };
};

function predictLabels(model: Model, x: Rows): Int32Array {
  const y = model.predict(x, { batchSize: 256 }) as Tensor;
  const v = y.dataSync();
  const units = y.size / x.shape[0]!;
  y.dispose();
  return Int32Array.from({ length: x.shape[0]! }, (_, i) => {
    if (units === 1) return v[i]! > 0.5 ? 1 : 0;
    let best = 0;
    for (let k = 1; k < units; k++) if (v[i * units + k]! > v[i * units + best]!) best = k;
    return best;
  });
}

type Setting = { steps: number; integration: 'gaussLegendre' | 'trapezoid'; maxSteps?: number };
function completeness(model: Model, x: Rows, label: string, settings: Setting[]) {
  for (const s of settings) {
    // maxSteps = steps: that many steps exactly; without it, the default refining (doubled while over 1%).
    const ig = explain.integratedGradients(model, x, s);
    const used = new Map<number, number>();
    for (const m of ig.steps) used.set(m, (used.get(m) ?? 0) + 1);
    const mode =
      s.maxSteps === undefined
        ? `${s.steps} steps refined (default; samples by steps taken: ${JSON.stringify(Object.fromEntries(used))})`
        : `${s.steps} steps fixed`;
    let worst = 0;
    let mean = 0;
    for (let i = 0; i < x.shape[0]!; i++) {
      const rel = Math.abs(ig.convergenceDelta[i]!) / Math.abs(ig.outputs[i]! - ig.baselineOutputs[i]!);
      worst = Math.max(worst, rel);
      mean += rel / x.shape[0]!;
    }
    log(`  ${label} ${s.integration} ${mode}: worst |Σ − Δf| / |Δf| = ${(100 * worst).toFixed(3)}%, mean ${(100 * mean).toFixed(3)}%`);
    results[`completeness_${label}_${s.integration}_${s.steps}${s.maxSteps === undefined ? '_refined' : ''}`] = {
      worst,
      mean,
      steps: Object.fromEntries(used),
    };
  }
}

/** Spearman's rank correlation (average ranks for ties). */
function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = ra.length;
  const ma = ra.reduce((s, v) => s + v, 0) / n;
  const mb = rb.reduce((s, v) => s + v, 0) / n;
  let num = 0;
  let da = 0;
  let db = 0;
  for (let i = 0; i < n; i++) {
    num += (ra[i]! - ma) * (rb[i]! - mb);
    da += (ra[i]! - ma) ** 2;
    db += (rb[i]! - mb) ** 2;
  }
  return da === 0 || db === 0 ? 0 : num / Math.sqrt(da * db);
}
function ranks(v: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: v.length }, (_, i) => i).sort((i, j) => v[i]! - v[j]!);
  const r = new Float64Array(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && v[order[j + 1]!] === v[order[i]!]) j++;
    for (let k = i; k <= j; k++) r[order[k]!] = (i + j) / 2;
    i = j + 1;
  }
  return r;
}

function topIndices(scores: ArrayLike<number>, count: number, allowed?: (i: number) => boolean): number[] {
  return Array.from({ length: scores.length }, (_, i) => i)
    .filter((i) => allowed?.(i) ?? true)
    .sort((i, j) => scores[j]! - scores[i]!)
    .slice(0, count);
}
function shuffled(indices: number[]): number[] {
  const a = [...indices];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

if (values.cnn) {
  const cnn = await loadModel(values.cnn);
  const data = await getPreset('cnn').loadData({ log: false });
  const test = data.test.x as Rows;
  const labels = data.test.y.data;
  const hundred = rows(test, 0, 100);

  if (only.has('completeness')) {
    log(`completeness, cnn, 100 test images (${load()})`);
    completeness(cnn, hundred, 'cnn', [
      { steps: 64, integration: 'gaussLegendre' },
      { steps: 32, integration: 'gaussLegendre', maxSteps: 32 },
      { steps: 64, integration: 'gaussLegendre', maxSteps: 64 },
      { steps: 128, integration: 'gaussLegendre', maxSteps: 128 },
      { steps: 256, integration: 'gaussLegendre', maxSteps: 256 },
      { steps: 64, integration: 'trapezoid', maxSteps: 64 },
      { steps: 256, integration: 'trapezoid', maxSteps: 256 },
    ]);
  }

  if (only.has('sanity')) {
    const fresh = getPreset('cnn').build();
    const trained = explain.integratedGradients(cnn, hundred);
    const random = explain.integratedGradients(fresh, hundred, { target: Array.from(trained.targets) });
    const gTrained = explain.gradientTimesInput(cnn, hundred);
    const gRandom = explain.gradientTimesInput(fresh, hundred, { target: Array.from(trained.targets) });
    const per = 28 * 28;
    const mean = (a: Float32Array, b: Float32Array, f: (v: number) => number = (v) => v) => {
      let total = 0;
      for (let i = 0; i < 100; i++) {
        total += spearman(a.subarray(i * per, (i + 1) * per).map(f), b.subarray(i * per, (i + 1) * per).map(f));
      }
      return total / 100;
    };
    const r = {
      ig: mean(trained.scores.data, random.scores.data),
      igAbs: mean(trained.scores.data, random.scores.data, Math.abs),
      gradientTimesInput: mean(gTrained.scores.data, gRandom.scores.data),
    };
    log('model randomisation (trained cnn vs the same network freshly initialised), mean Spearman over 100 images:');
    log(`  IG ${r.ig.toFixed(3)}, |IG| ${r.igAbs.toFixed(3)}, gradient × input ${r.gradientTimesInput.toFixed(3)}`);
    results['sanity'] = r;
  }

  if (only.has('deletion')) {
    const n = Number(values.images);
    const xs = rows(test, 0, n);
    log(`deletion on ${n} MNIST test images (${load()})`);
    const t0 = performance.now();
    const methods: Record<string, Float32Array> = {
      ig: explain.integratedGradients(cnn, xs).scores.data,
      smoothgrad: explain.smoothGrad(cnn, xs).scores.data.map(Math.abs),
      gradxinput: explain.gradientTimesInput(cnn, xs).scores.data,
      gradcam: explain.gradCam(cnn, xs).scores.data,
    };
    log(`  attributions of 4 methods: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const per = 28 * 28;
    const accuracy = (x: Rows) => {
      const p = predictLabels(cnn, x);
      let right = 0;
      for (let i = 0; i < n; i++) if (p[i] === labels[i]) right++;
      return right / n;
    };
    const table: Record<string, Record<string, number>> = { none: { '0': accuracy(xs) } };
    for (const fraction of [0.05, 0.1, 0.2]) {
      const k = Math.round(fraction * per);
      for (const [name, scores] of [...Object.entries(methods), ['random', undefined] as const]) {
        const x = { data: Float32Array.from(xs.data), shape: xs.shape };
        for (let i = 0; i < n; i++) {
          const chosen = scores
            ? topIndices(scores.subarray(i * per, (i + 1) * per), k)
            : shuffled(Array.from({ length: per }, (_, j) => j)).slice(0, k);
          for (const j of chosen) x.data[i * per + j] = 0;
        }
        (table[name] ??= {})[String(fraction)] = accuracy(x);
      }
    }
    log(`  accuracy with no pixel removed: ${table['none']!['0']}`);
    for (const [name, row] of Object.entries(table)) {
      if (name === 'none') continue;
      log(`  ${name.padEnd(11)} top 5%: ${row['0.05']!.toFixed(3)}  10%: ${row['0.1']!.toFixed(3)}  20%: ${row['0.2']!.toFixed(3)}`);
    }
    results['deletion'] = table;
  }

  if (only.has('speed')) {
    const one = rows(test, 0, 1);
    for (let i = 0; i < 5; i++) explain.integratedGradients(cnn, one);
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      explain.integratedGradients(cnn, one, { steps: 64, maxSteps: 64 });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    log(
      `speed: IG 64 steps, one MNIST image: median ${times[10]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms (graph calls ${JSON.stringify(cnn.graphCalls)}; ${load()})`,
    );
    results['speedCnnMs'] = { median: times[10], min: times[0] };
  }
}

if (values.lstm) {
  const lstm = await loadModel(values.lstm);
  const data = await getPreset('lstm').loadData({ log: false });
  const test = data.test.x as Rows;
  const length = test.shape[1]!;
  // Reviews from across the test split (it is sorted: negatives first).
  const spread = (count: number): Rows => {
    const step = Math.floor(test.shape[0]! / count);
    const out = new Int32Array(count * length);
    for (let i = 0; i < count; i++) out.set(test.data.subarray(i * step * length, (i * step + 1) * length), i * length);
    return { data: out, shape: [count, length] };
  };

  if (only.has('completeness')) {
    log(`completeness, lstm, 100 test reviews (${load()})`);
    completeness(lstm, spread(100), 'lstm', [
      { steps: 64, integration: 'gaussLegendre' },
      { steps: 32, integration: 'gaussLegendre', maxSteps: 32 },
      { steps: 64, integration: 'gaussLegendre', maxSteps: 64 },
      { steps: 64, integration: 'trapezoid', maxSteps: 64 },
    ]);
  }

  if (only.has('text')) {
    const n = Number(values.reviews);
    const xs = spread(n);
    log(`token deletion on ${n} IMDB test reviews (${load()})`);
    const t0 = performance.now();
    const ig = explain.integratedGradients(lstm, xs);
    log(`  IG of ${n} reviews: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const before = predictLabels(lstm, xs);
    const removed = (pick: (i: number, real: number[]) => number[]) => {
      const x = { data: Int32Array.from(xs.data), shape: xs.shape };
      for (let i = 0; i < n; i++) {
        const real = Array.from({ length }, (_, j) => j).filter((j) => xs.data[i * length + j]! !== 0);
        for (const j of pick(i, real)) x.data[i * length + j] = 0;
      }
      const after = predictLabels(lstm, x);
      let flips = 0;
      for (let i = 0; i < n; i++) if (after[i] !== before[i]) flips++;
      return flips / n;
    };
    // Scores toward the predicted class: IG explains the positive probability, so a negative prediction's evidence is negative.
    const top = removed((i, real) => {
      const sign = before[i] === 1 ? 1 : -1;
      const scores = ig.scores.data.subarray(i * length, (i + 1) * length).map((v) => sign * v);
      const allowed = new Set(real);
      return topIndices(scores, 5, (j) => allowed.has(j));
    });
    const random = removed((_, real) => shuffled(real).slice(0, 5));
    log(
      `  prediction flipped by removing the top-5 tokens by IG: ${(100 * top).toFixed(1)}%, 5 random tokens: ${(100 * random).toFixed(1)}%`,
    );
    results['text'] = { top5: top, random5: random };
  }

  if (only.has('speed')) {
    const one = spread(1);
    for (let i = 0; i < 5; i++) explain.integratedGradients(lstm, one);
    const times: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t = performance.now();
      explain.integratedGradients(lstm, one, { steps: 64, maxSteps: 64 });
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    log(`speed: IG 64 steps, one ${length}-token review: median ${times[5]!.toFixed(1)} ms, min ${times[0]!.toFixed(1)} ms (${load()})`);
    results['speedLstmMs'] = { median: times[5], min: times[0] };
  }
}
console.log(JSON.stringify(results));
