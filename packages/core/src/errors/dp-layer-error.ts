import { OptionError } from './option-error.js';

/**
 * A layer DP-SGD cannot train: it mixes the examples of a batch (BatchNormalization), so per-example gradients and
 * the privacy guarantee do not exist, or it has weights without a per-example gradient rule yet (LSTM, GRU, …).
 */
export class DpLayerError extends OptionError {
  override name = 'DpLayerError';
}
