/**
 * A request refused with an HTTP status: thrown inside a handler, answered by it as the JSON
 * error body `{ "error": message, "detail"?: detail }`. Shared by the Go uploader and the
 * Python index.
 */
export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}
