/**
 * A dataset file is missing, corrupt or could not be fetched.
 *
 * The message always names the file, what is wrong with it and how to fix
 * it, because the CLI prints only the message (exit code 2, no stack trace).
 */
export class DatasetError extends Error {
  override name = 'DatasetError';

  /** Path (or URL) of the file the problem is about. */
  readonly file: string;

  /**
   * @param file    the file the problem is about
   * @param problem what is wrong, e.g. "truncated IDX file: expected 16 bytes, found 12"
   * @param fix     what the user should do about it
   */
  constructor(file: string, problem: string, fix: string, options?: ErrorOptions) {
    super(`${file}: ${problem}. ${fix}`, options);
    this.file = file;
  }
}

/** The usual fix for a damaged file, whichever source it came from. */
export const REPLACE_FILE_FIX = 'Delete it from the cache and re-run (it is downloaded again), or replace it with an intact copy.';
