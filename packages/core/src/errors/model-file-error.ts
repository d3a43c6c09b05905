import { DlError } from './dl-error.js';

/**
 * A model folder that dl refuses to load: a model.json that is not valid, asks for classes TF.js does not have,
 * for absurd sizes, or for weights its files do not hold. `file` is the model.json (or weights file) concerned.
 */
export class ModelFileError extends DlError {
  override name = 'ModelFileError';
  constructor(
    readonly file: string,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${problem}`, options);
  }
}
