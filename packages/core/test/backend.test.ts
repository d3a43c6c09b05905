import { describe, expect, it } from 'vitest';
import { backendInfo, tf } from '../src/index.js';

const requireNative = process.env['DL_REQUIRE_NATIVE'] === '1';

describe('backend', () => {
  it.runIf(requireNative)('runs on the native TensorFlow kernels when DL_REQUIRE_NATIVE=1', () => {
    const info = backendInfo();
    expect(info.backend).toBe('tensorflow');
    expect(tf.getBackend()).toBe('tensorflow');
    expect(info.tensorflowVersion).toMatch(/^\d+\.\d+/);
    expect(info.reason).toBeUndefined();
  });

  it('reports the backend TensorFlow.js actually runs on', () => {
    const info = backendInfo();
    expect(info.backend).toBe(tf.getBackend());
    expect(info.tfjsVersion).toBe(tf.version_core);
    if (info.backend === 'tensorflow') {
      expect(info.tensorflowVersion).toMatch(/^\d+\.\d+/);
      expect(info.reason).toBeUndefined();
    } else {
      expect(info.tensorflowVersion).toBeNull();
      expect(info.reason).toMatch(/tfjs-node did not load/);
    }
  });

  it('computes on that backend', () => {
    const sum = tf.tidy(() => tf.add(tf.tensor1d([1, 2, 3]), tf.tensor1d([10, 20, 30])).arraySync());
    expect(sum).toEqual([11, 22, 33]);
  });

  it('returns a copy that callers cannot use to change what is reported', () => {
    const info = backendInfo();
    info.backend = info.backend === 'tensorflow' ? 'cpu' : 'tensorflow';
    info.tensorflowVersion = 'tampered';
    expect(backendInfo().backend).toBe(tf.getBackend());
    expect(backendInfo().tensorflowVersion).not.toBe('tampered');
  });
});
