// dl's errors are classes a program can check with `instanceof`: bad shapes, bad options and bad model files each
// have their own, all under DlError; `@dl/core/errors` exports the same classes without loading TensorFlow.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as errors from '../src/errors/index.js';
import { DlError, loadModel, ModelFileError, NativeError, OptionError, ShapeError, type ShapedArray } from '../src/index.js';
import { compiledClassifier, errorOf } from './helpers.js';

const zeros = (shape: number[]): ShapedArray => ({ data: new Float32Array(shape.reduce((a, b) => a * b, 1)), shape });

describe('error classes', () => {
  it('are exported from @dl/core and @dl/core/errors as the same classes', () => {
    expect(errors.DlError).toBe(DlError);
    expect(errors.ModelFileError).toBe(ModelFileError);
    expect(errors.ShapeError).toBe(ShapeError);
    expect(errors.OptionError).toBe(OptionError);
    expect(errors.NativeError).toBe(NativeError);
    for (const error of [new ModelFileError('f', 'x'), new ShapeError('x'), new OptionError('x'), new NativeError('x')]) {
      expect(error).toBeInstanceOf(DlError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(error.constructor.name);
    }
  });

  it('keep the cause they are given', () => {
    const cause = new Error('underlying');
    expect(new OptionError('bad', { cause }).cause).toBe(cause);
    expect(new ModelFileError('/m/model.json', 'bad', { cause }).cause).toBe(cause);
  });

  it('fit with inputs of the wrong shape throws a ShapeError', async () => {
    const model = compiledClassifier();
    const error = await errorOf(() => model.fit(zeros([4, 3]), zeros([4]), { epochs: 1 }));
    expect(error).toBeInstanceOf(ShapeError);
    expect(error).toBeInstanceOf(DlError);
  });

  it('fit with a bad option throws an OptionError', async () => {
    const model = compiledClassifier();
    const error = await errorOf(() => model.fit(zeros([4, 2]), zeros([4]), { epochs: 0 }));
    expect(error).toBeInstanceOf(OptionError);
    expect(error).toBeInstanceOf(DlError);
    expect(error.message).toBe('epochs must be a positive integer, got 0');
  });

  it('loading a corrupt model folder throws a ModelFileError', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dl-errors-'));
    try {
      await writeFile(join(dir, 'model.json'), '{ not json');
      const error = await errorOf(() => loadModel(dir));
      expect(error).toBeInstanceOf(ModelFileError);
      expect(error).toBeInstanceOf(DlError);
      expect((error as ModelFileError).file).toBe(join(dir, 'model.json'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
