/**
 * A request refused with an HTTP status: thrown inside a handler, answered by it as the JSON
 * error body `{ "error": message, "detail"?: detail }`. Used by the Python index; the Go
 * uploader still has its own copy of this class in registry/go/upload.ts.
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
