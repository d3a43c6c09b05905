import { DlError } from './dl-error.js';

/**
 * Something that needs TensorFlow's native backend ran without it: DL_REQUIRE_NATIVE=1 when the addon did not load,
 * TensorBoard or a fused kernel on the pure-JS fallback. The fix is building the addon (`dl setup`).
 */
export class NativeError extends DlError {
  override name = 'NativeError';
}
