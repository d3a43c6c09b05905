import { afterEach, describe, expect, it, vi } from 'vitest';
import { Callback, ProgbarLogger, setSeed, type TrainingParams } from '../src/index.js';
import { compiledClassifier, fakeStream, separable, sleep, stripAnsi } from './helpers.js';

const EPOCH_LINE = /^\s*\d+\/\d+ - \d+s - \d+ms\/step - loss: [\d.]+ - accuracy: [\d.]+/;
const BAR_END = /(\d+)\/(\d+) \[={30}\] - \d+s \d+ms\/step - loss: ([\d.]+) - accuracy: ([\d.]+)/;

function params(overrides: Partial<TrainingParams> = {}): TrainingParams {
  return { epochs: 2, steps: 12, samples: 100, batchSize: 9, initialEpoch: 0, verbose: 1, ...overrides };
}

/** Makes the first batch of every epoch take `ms`, so that a live bar has time to redraw with an ETA. */
class SlowFirstBatch extends Callback {
  constructor(private readonly ms: number) {
    super();
  }
  override async onTrainBatchBegin(batch: number): Promise<void> {
    if (batch === 0) await sleep(this.ms);
  }
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ProgbarLogger on a stream that is not a terminal', () => {
  it('prints `Epoch i/n` and one summary line per epoch, with the epoch averages', async () => {
    setSeed(1);
    const model = compiledClassifier();
    const { x, y } = separable(20, 1);
    const stream = fakeStream(false);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const history = await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 1, callbacks: [new ProgbarLogger({ stream })] });

    const lines = stream.text.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('Epoch 1/2');
    expect(lines[2]).toBe('Epoch 2/2');
    expect(lines[4]).toBe('');
    for (const e of [0, 1]) {
      const line = lines[2 * e + 1]!;
      expect(line).toMatch(EPOCH_LINE);
      expect(line.startsWith('3/3 - ')).toBe(true);
      expect(line).toContain(`loss: ${history.history['loss']![e]!.toFixed(4)}`);
      expect(line).toContain(`accuracy: ${history.history['accuracy']![e]!.toFixed(4)}`);
    }
    expect(stream.text).not.toContain('\x1b');
    // fit added no second logger writing to stdout.
    expect(stdout).not.toHaveBeenCalled();
  });

  it('formats tiny values exponentially and pads nothing when done', () => {
    const stream = fakeStream(false);
    const logger = new ProgbarLogger({ stream });
    logger.setParams(params({ epochs: 3, verbose: 2 }));
    logger.onEpochBegin(1);
    for (let batch = 0; batch < 12; batch++) logger.onTrainBatchEnd(batch, { batch, size: 9, loss: 0.5 });
    logger.onEpochEnd(1, { loss: 0.000012345, accuracy: 0.5 });
    const lines = stream.text.split('\n');
    expect(lines[0]).toBe('Epoch 2/3');
    expect(lines[1]).toMatch(/^12\/12 - \d+s - \d+ms\/step - loss: 1\.2345e-5 - accuracy: 0\.5000$/);
  });
});

describe('ProgbarLogger on a terminal', () => {
  it('draws a live bar with an ETA during each epoch and a full bar at its end', async () => {
    setSeed(2);
    const model = compiledClassifier();
    const { x, y } = separable(24, 2);
    const stream = fakeStream(true, 120);
    const history = await model.fit(x, y, {
      epochs: 2,
      batchSize: 8,
      verbose: 1,
      callbacks: [new SlowFirstBatch(300), new ProgbarLogger({ stream })],
    });

    const text = stripAnsi(stream.text);
    expect(text).toContain('Epoch 1/2');
    expect(text).toContain('Epoch 2/2');
    expect(text).toContain('[====');
    expect(text).toMatch(/1\/3 \[={10}>\.{19}\] - ETA: \d+s - loss: [\d.]+ - accuracy: [\d.]+/);

    const ends = [...text.matchAll(new RegExp(BAR_END, 'g'))];
    expect(ends).toHaveLength(2);
    ends.forEach((m, e) => {
      expect(m[1]).toBe('3');
      expect(m[2]).toBe('3');
      expect(m[3]).toBe(history.history['loss']![e]!.toFixed(4));
      expect(m[4]).toBe(history.history['accuracy']![e]!.toFixed(4));
    });
    // Each epoch's bar is stopped: the cursor hidden while it runs is shown again.
    expect(stream.text.split('\x1b[?25l')).toHaveLength(3);
    expect(stream.text.split('\x1b[?25h')).toHaveLength(3);
  });

  it('shows the running averages of the batches seen so far, with a right-aligned counter', async () => {
    const stream = fakeStream(true, 120);
    const logger = new ProgbarLogger({ stream });
    logger.setParams(params());
    logger.onEpochBegin(0);
    await sleep(250);
    logger.onTrainBatchEnd(0, { batch: 0, size: 9, loss: 0.5, accuracy: 0.25 });
    await sleep(250);
    logger.onTrainBatchEnd(1, { batch: 1, size: 9, loss: 0.2, accuracy: 0.75 });
    for (let batch = 2; batch < 12; batch++) logger.onTrainBatchEnd(batch, { batch, size: 9, loss: 0.3, accuracy: 0.6 });
    logger.onEpochEnd(0, { loss: 0.3, accuracy: 0.6 });

    const text = stripAnsi(stream.text);
    expect(text).toContain(` 0/12 [>${'.'.repeat(29)}]`);
    expect(text).toMatch(/ 1\/12 \[==>\.{27}\] - ETA: \d+s - loss: 0\.5000 - accuracy: 0\.2500/);
    expect(text).toMatch(/ 2\/12 \[=====>\.{24}\] - ETA: \d+s - loss: 0\.3500 - accuracy: 0\.5000/);
    expect(text).toMatch(/12\/12 \[={30}\] - \d+s \d+ms\/step - loss: 0\.3000 - accuracy: 0\.6000/);
  });

  it('an epoch cut short (stopTraining, a signal) ends at the batches actually run, not the full count', () => {
    for (const tty of [true, false]) {
      const stream = fakeStream(tty, 120);
      const logger = new ProgbarLogger({ stream });
      logger.setParams(params());
      logger.onEpochBegin(0);
      for (let batch = 0; batch < 3; batch++) logger.onTrainBatchEnd(batch, { batch, size: 9, loss: 0.3, accuracy: 0.6 });
      logger.onEpochEnd(0, { loss: 0.3, accuracy: 0.6 });
      logger.onTrainEnd();
      const text = stripAnsi(stream.text);
      expect(text).toMatch(/ 3\/12 .*\d+ms\/step - loss: 0\.3000/);
      expect(text).not.toContain('12/12');
    }
  });

  it('prints plain lines with verbose 2', async () => {
    setSeed(3);
    const model = compiledClassifier();
    const { x, y } = separable(16, 3);
    const stream = fakeStream(true, 120);
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 2, callbacks: [new ProgbarLogger({ stream })] });

    expect(stream.text).not.toContain('[');
    const lines = stream.text.split('\n');
    expect(lines.filter((l) => l.startsWith('Epoch '))).toEqual(['Epoch 1/2', 'Epoch 2/2']);
    expect(lines.filter((l) => EPOCH_LINE.test(l))).toHaveLength(2);
  });
});

describe('fit and the default logger', () => {
  it('adds a logger on stdout by default, and none with verbose 0', async () => {
    setSeed(4);
    const model = compiledClassifier();
    const { x, y } = separable(16, 4);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const written = () => stdout.mock.calls.map((c) => String(c[0])).join('');

    await model.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(stdout).not.toHaveBeenCalled();

    await model.fit(x, y, { epochs: 1, batchSize: 8 });
    expect(written()).toContain('Epoch 1/1');
    expect(stripAnsi(written())).toMatch(/2\/2 /);
  });
});
