import { DlError } from './dl-error.js';

/**
 * A bad argument or option of dl's API: an unknown loss or optimizer, a negative learning rate, a fit option out of
 * range, a callback misconfigured, a model used before `compile`. Keras raises ValueError for these.
 */
export class OptionError extends DlError {
  override name = 'OptionError';
}
