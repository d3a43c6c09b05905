import { afterEach, describe, expect, it, vi } from 'vitest';
import { Callback, getLearningRate, ReduceLROnPlateau, setSeed } from '../src/index.js';
import { compiledClassifier, separable, Script } from './helpers.js';

/** The optimizer's learning rate at the start of every epoch. */
class LearningRateProbe extends Callback {
  seen: number[] = [];
  override onEpochBegin(): void {
    this.seen.push(getLearningRate(this.model.optimizer));
  }
}

const { x, y } = separable(16, 1);
const fitOptions = { batchSize: 8, verbose: 0 as const };

afterEach(() => {
  vi.restoreAllMocks();
});

async function run(values: number[], options: ConstructorParameters<typeof ReduceLROnPlateau>[0], learningRate = 0.1) {
  setSeed(1);
  const model = compiledClassifier(learningRate);
  const probe = new LearningRateProbe();
  const history = await model.fit(x, y, {
    ...fitOptions,
    epochs: values.length,
    callbacks: [new Script({ val_loss: values }), new ReduceLROnPlateau(options), probe],
  });
  return { model, seen: probe.seen, logged: history.history['learningRate'] };
}

describe('ReduceLROnPlateau', () => {
  it('multiplies the learning rate by `factor` after `patience` epochs without improvement, and logs it', async () => {
    const { model, seen, logged } = await run([1, 1, 1, 1, 1, 1, 1], { patience: 2, factor: 0.5 });
    // Epoch 0 sets the best; epochs 1 and 2 do not improve: reduced at the end of epoch 2, then of epoch 4, then 6.
    expect(seen).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(logged).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]);
    expect(getLearningRate(model.optimizer)).toBe(0.0125);
  });

  it('starts counting again after an improvement', async () => {
    const { model, seen } = await run([1, 1, 0.5, 0.5, 0.5], { patience: 2, factor: 0.5 });
    // Epoch 1 does not improve, epoch 2 does: the next reduction is at the end of epoch 4, not 2.
    expect(seen).toEqual([0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(getLearningRate(model.optimizer)).toBe(0.05);
  });

  it('counts only improvements larger than minDelta', async () => {
    const values = [1, 0.9, 0.8, 0.795, 0.79, 0.7];
    // 0.795 and 0.79 improve by less than 0.01: reduced at the end of epoch 4.
    expect((await run(values, { patience: 2, factor: 0.5, minDelta: 0.01 })).seen).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.05]);
    // With the default minDelta (1e-4) they are improvements.
    expect((await run(values, { patience: 2, factor: 0.5 })).seen).toEqual([0.1, 0.1, 0.1, 0.1, 0.1, 0.1]);
  });

  it('waits `cooldown` epochs after a reduction before counting again', async () => {
    const { seen } = await run([1, 1, 1, 1, 1, 1, 1, 1, 1, 1], { patience: 2, factor: 0.5, cooldown: 2 });
    // Reductions at the ends of epochs 2, 5 and 8 (without cooldown: 2, 4, 6, 8).
    expect(seen).toEqual([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]);
  });

  it('never goes below minLr', async () => {
    const { model, seen } = await run([1, 1, 1, 1, 1, 1, 1, 1], { patience: 1, factor: 0.5, minLr: 0.03 });
    expect(seen).toEqual([0.1, 0.1, 0.05, 0.03, 0.03, 0.03, 0.03, 0.03]);
    expect(getLearningRate(model.optimizer)).toBe(0.03);
  });

  it("maximises accuracy-like monitors in 'auto' mode", async () => {
    setSeed(2);
    const model = compiledClassifier(0.1);
    const probe = new LearningRateProbe();
    const plateau = new ReduceLROnPlateau({ monitor: 'val_accuracy', patience: 1, factor: 0.5 });
    expect(plateau.mode).toBe('max');
    await model.fit(x, y, { ...fitOptions, epochs: 4, callbacks: [new Script({ val_accuracy: [0.5, 0.6, 0.7, 0.65] }), plateau, probe] });
    expect(probe.seen).toEqual([0.1, 0.1, 0.1, 0.1]);
    expect(getLearningRate(model.optimizer)).toBe(0.05);
  });

  it('warns once and leaves the learning rate alone when the monitor is missing', async () => {
    setSeed(3);
    const model = compiledClassifier(0.1);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await model.fit(x, y, { ...fitOptions, epochs: 3, callbacks: [new ReduceLROnPlateau({ patience: 0 })] });
    const warnings = stderr.mock.calls.map((c) => String(c[0])).filter((t) => t.includes('ReduceLROnPlateau'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('`val_loss`');
    expect(getLearningRate(model.optimizer)).toBe(0.1);
  });

  it('prints the new learning rate with verbose 1', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    await run([1, 1], { patience: 1, factor: 0.5, verbose: 1 });
    expect(stdout.mock.calls.map((c) => String(c[0])).join('')).toContain('Epoch 2: ReduceLROnPlateau reducing learning rate to 0.05.');
  });

  it('rejects a factor of 1 or more', () => {
    expect(() => new ReduceLROnPlateau({ factor: 1 })).toThrow('ReduceLROnPlateau does not support a factor outside [0, 1), got 1');
    expect(() => new ReduceLROnPlateau({ cooldown: 1.5 })).toThrow('cooldown must be a whole number ≥ 0, got 1.5');
  });
});
