// evaluateMnistGenerator draws the same latent vectors for the same seed, the default 0 included (TF.js takes a seed of
// 0 as none): what lets `dl evaluate` of a quantized GAN export compare it with its float32 source on the same samples.
import { describe, expect, it } from 'vitest';
import { cnn, dcganGenerator, evaluateMnistGenerator, type PresetData } from '../src/index.js';

function images(n: number, seed: number): PresetData['train'] {
  const data = Float32Array.from({ length: n * 784 }, (_, i) => ((i * 2654435761 + seed) % 1000) / 1000);
  return { x: { data, shape: [n, 28, 28, 1] }, y: { data: Uint8Array.from({ length: n }, (_, i) => i % 10), shape: [n] } };
}

describe('evaluateMnistGenerator', () => {
  it('scores the same samples twice with the default seed, and other samples with another seed', () => {
    const generator = dcganGenerator();
    const classifier = cnn.build();
    const data: PresetData = { train: images(40, 1), test: images(20, 2) };
    const first = evaluateMnistGenerator(generator, classifier, data, { samples: 20 });
    const second = evaluateMnistGenerator(generator, classifier, data, { samples: 20 });
    expect(second.generated).toEqual(first.generated);
    const other = evaluateMnistGenerator(generator, classifier, data, { samples: 20, seed: 5 });
    expect(other.generated.frechetDistance).not.toBe(first.generated.frechetDistance);
  });
});
