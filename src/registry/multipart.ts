import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { HttpFailure } from './errors.js';

/**
 * One multipart/form-data receiver for every upload route (the Go uploader, Athens' `.save`,
 * the Python index). It knows HTTP and busboy; the caller knows what the parts mean: it is
 * told of each field, and hands back a sink for each file part it wants. Invariants:
 *
 *  1. Settles exactly once, and only after every sink it started has finished or failed, so
 *     the caller may remove its staging directory as soon as it settles.
 *  2. Resolves only for a body that arrived whole and well-formed with no part refused;
 *     otherwise rejects with an HttpFailure (the first one recorded wins), never another error.
 *  3. Nothing the client sends (or does not send) escapes as an uncaught exception: busboy emits
 *     'field'/'file'/'limit' from inside its parser, so every handler is guarded, and busboy and
 *     its part streams are destroyed on the next tick, never from inside its own emit.
 *  4. Bytes are streamed once, straight from busboy's part stream into the sink: no copy, no
 *     buffering here (the upload benchmark, scripts/bench/upload.mjs, runs through this path).
 *
 * Two kinds of refusal. Stop-now (413 over a size limit, a broken multipart body, the client
 * going away): reading stops at once, and the caller answers and lingers briefly (http.ts
 * `refuse`). Recorded (a callback throws an HttpFailure, a sink fails, a count limit is hit):
 * the offending part is skipped, the rest of the body is still read, so the answer comes after
 * the whole request as the client expects, then the promise rejects.
 */
export interface MultipartSpec {
  /** busboy limits. `fileSize` caps every file part; a sink may ask for less with `maxBytes`. */
  limits: { fileSize: number; fieldSize: number; fields: number; files: number; parts?: number };
  /** A text field. `truncated`: longer than `fieldSize`, cut there by busboy. Throw an HttpFailure to refuse. */
  onField(name: string, value: string, info: { truncated: boolean }): void;
  /** A file part: a sink for its bytes, or null to skip it. Throw an HttpFailure to refuse (the part is skipped). */
  onFile(name: string, info: { filename: string }): FileSink | null;
}

export interface FileSink {
  /** Over this many bytes (at most `limits.fileSize`) the request is refused at once: 413 `tooLarge`. */
  maxBytes: number;
  tooLarge: string;
  /**
   * Read the whole part (into a staging file, a hash, memory…). Rejecting records the failure:
   * an HttpFailure as it is, anything else as a 400 "upload interrupted".
   */
  consume(part: Readable): Promise<void>;
}

const CLIENT_GONE = 'the client went away before the upload was complete';

export function receiveMultipart(req: IncomingMessage, spec: MultipartSpec): Promise<void> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: req.headers, limits: spec.limits });
    } catch (err) {
      return reject(new HttpFailure(400, `malformed multipart request: ${(err as Error).message}`));
    }
    const pending: Promise<void>[] = [];
    const streams = new Set<Readable>();
    let failure: HttpFailure | null = null;
    let settled = false;
    const record = (f: HttpFailure) => {
      failure ??= f;
    };
    /** Stop reading, close every part stream, settle once every sink has finished (invariant 1). */
    const stop = (outcome: HttpFailure) => {
      if (settled) return;
      settled = true;
      outcome = failure ?? outcome;
      req.unpipe(bb);
      // Not synchronously (invariant 3): busboy keeps using its part stream after its emit
      // returns, and destroying it now would throw from inside busboy's stream write.
      process.nextTick(() => {
        for (const s of streams) s.destroy();
        bb.destroy();
        void Promise.allSettled(pending).then(() => reject(outcome));
      });
    };
    /** A callback's HttpFailure is recorded; any other throw is a broken request: stop now. */
    const guard =
      <A extends unknown[]>(fn: (...a: A) => void, onRefused?: (...a: A) => void) =>
      (...a: A) => {
        try {
          fn(...a);
        } catch (err) {
          if (!(err instanceof HttpFailure)) return stop(new HttpFailure(400, `malformed multipart request: ${(err as Error).message}`));
          record(err);
          onRefused?.(...a);
        }
      };

    bb.on(
      'field',
      guard((name: string, value: string, info: busboy.FieldInfo) => spec.onField(name, value, { truncated: info.valueTruncated })),
    );
    bb.on(
      'file',
      guard(
        (name: string, stream: Readable, info: busboy.FileInfo) => {
          streams.add(stream);
          const sink = spec.onFile(name, { filename: info.filename ?? '' });
          if (!sink) return void stream.resume();
          const tooLarge = () => stop(new HttpFailure(413, sink.tooLarge));
          // busboy truncates a part at `fileSize` and says 'limit'; a smaller cap is counted here.
          stream.on('limit', tooLarge);
          if (sink.maxBytes < spec.limits.fileSize) {
            let n = 0;
            stream.on('data', (c: Buffer) => {
              n += c.length;
              if (n > sink.maxBytes) tooLarge();
            });
          }
          pending.push(
            sink.consume(stream).catch((err: Error) => record(err instanceof HttpFailure ? err : new HttpFailure(400, `upload interrupted: ${err.message}`))),
          );
        },
        (_name, stream) => void stream.resume(),
      ),
    );
    bb.on('partsLimit', () => record(new HttpFailure(400, 'too many multipart parts')));
    bb.on('filesLimit', () => record(new HttpFailure(400, 'too many multipart files')));
    bb.on('fieldsLimit', () => record(new HttpFailure(400, 'too many multipart fields')));
    bb.on('error', (err) => stop(new HttpFailure(400, `malformed multipart request: ${(err as Error).message}`)));
    bb.on('close', () => {
      if (settled) return;
      settled = true;
      void Promise.allSettled(pending).then(() => (failure ? reject(failure) : resolve()));
    });
    // The request ended without its whole body: abort, short body then close, or a timeout.
    // (`readableEnded`, not `complete`: a body that arrived whole but was destroyed with its
    // connection before it was read never ends either.)
    req.on('close', () => {
      if (!req.readableEnded) stop(new HttpFailure(400, CLIENT_GONE));
    });
    req.on('error', () => stop(new HttpFailure(400, CLIENT_GONE)));
    // It may have gone already, while the caller prepared staging: 'close' will not come again.
    if (req.destroyed && !req.readableEnded) return stop(new HttpFailure(400, CLIENT_GONE));
    req.pipe(bb);
  });
}
