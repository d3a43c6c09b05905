import { DlError } from '@dl/core/errors';

/**
 * A request `dl serve` refuses, with the HTTP status to answer and a message for the client (sent as TF Serving's
 * `{"error": "…"}`): a bad body or instance 400, an unknown model 404, a wrong method 405.
 */
export class RequestError extends DlError {
  override name = 'RequestError';

  constructor(
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
  }
}
