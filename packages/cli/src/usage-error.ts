import { DlError } from '@dl/core/errors';

/** A mistake in how `dl` was called: printed without a stack trace, exit code 2. */
export class UsageError extends DlError {
  override name = 'UsageError';
}
