import { DlError } from './dl-error.js';

/**
 * Data whose shape or size does not fit the model or itself: inputs of the wrong rank or dimensions, x and y with
 * different sample counts, an array whose values do not fill its shape.
 */
export class ShapeError extends DlError {
  override name = 'ShapeError';
}
