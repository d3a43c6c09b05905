/**
 * The base of every error dl throws for a mistake the caller can fix (bad options, shapes, files, a missing native
 * backend), so a program can tell them apart from bugs with `instanceof DlError`. Internal invariants throw plain `Error`.
 */
export class DlError extends Error {
  override name = 'DlError';

  // `cause` (ES2022 ErrorOptions) keeps the underlying error, e.g. the fs or JSON error behind a refused file.
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}
