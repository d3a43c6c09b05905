import { describe, expect, it } from 'vitest';
import { getLearningRate, getOptimizer, setLearningRate, setSeed, tf, type OptimizerName } from '../src/index.js';
import { compiledClassifier, separable, weightsOf } from './helpers.js';

type Configurable = { getConfig(): Record<string, unknown>; getClassName(): string };
const config = (o: unknown) => (o as Configurable).getConfig();
const className = (o: unknown) => (o as Configurable).getClassName();

describe('getOptimizer', () => {
  it.each([
    ['adam', 'Adam', 1e-3],
    ['sgd', 'SGD', 0.01],
    ['rmsprop', 'RMSProp', 1e-3],
  ] as const)("builds '%s' with Keras's default learning rate", (name, cls, lr) => {
    const optimizer = getOptimizer(name);
    expect(optimizer).toBeInstanceOf(tf.Optimizer);
    expect(className(optimizer)).toBe(cls);
    expect(getLearningRate(optimizer)).toBeCloseTo(lr, 10);
  });

  it('applies the options of a config object', () => {
    const adam = getOptimizer({ name: 'adam', learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 });
    expect(config(adam)).toMatchObject({ learningRate: 0.02, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 });

    const momentum = getOptimizer({ name: 'sgd', learningRate: 0.1, momentum: 0.9 });
    expect(className(momentum)).toBe('Momentum');
    expect(config(momentum)).toMatchObject({ learningRate: 0.1, momentum: 0.9 });

    const rmsprop = getOptimizer({ name: 'rmsprop', learningRate: 0.003 });
    expect(getLearningRate(rmsprop)).toBeCloseTo(0.003, 10);
  });

  it('passes an optimizer instance through unchanged', () => {
    const optimizer = tf.train.adagrad(0.1);
    expect(getOptimizer(optimizer)).toBe(optimizer);
  });

  it('rejects an unknown name, listing the valid ones', () => {
    expect(() => getOptimizer('adamw' as OptimizerName)).toThrow("unknown optimizer 'adamw'; valid optimizers: adam, sgd, rmsprop");
    expect(() => getOptimizer({ name: 'nadam' as OptimizerName })).toThrow(
      "unknown optimizer 'nadam'; valid optimizers: adam, sgd, rmsprop",
    );
  });
});

describe('getLearningRate and setLearningRate', () => {
  it('read and write the learning rate', () => {
    const optimizer = getOptimizer('adam');
    setLearningRate(optimizer, 0.25);
    expect(getLearningRate(optimizer)).toBe(0.25);
  });

  it.each([-0.1, Number.NaN, Number.POSITIVE_INFINITY])('rejects %s', (lr) => {
    const optimizer = getOptimizer('adam');
    expect(() => setLearningRate(optimizer, lr)).toThrow(`learning rate must be a finite number ≥ 0, got ${lr}`);
    expect(getLearningRate(optimizer)).toBeCloseTo(1e-3, 10);
  });

  it.each(['adam', 'rmsprop'] as const)('a learning rate of 0 set between fits freezes the weights (%s)', async (name) => {
    setSeed(1);
    const model = compiledClassifier();
    model.compile({ optimizer: { name, learningRate: 0.05 }, loss: 'sparseCategoricalCrossentropy' });
    const { x, y } = separable(20, 1);
    const initial = weightsOf(model);
    await model.fit(x, y, { epochs: 1, batchSize: 10, verbose: 0 });
    const trained = weightsOf(model);
    expect(trained).not.toEqual(initial);

    setLearningRate(model.optimizer, 0);
    await model.fit(x, y, { epochs: 1, batchSize: 10, verbose: 0 });
    expect(weightsOf(model)).toEqual(trained);
  });
});
