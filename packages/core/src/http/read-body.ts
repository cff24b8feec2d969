import { PayloadTooLargeError } from '../errors';
import {
  admitBody,
  type BodyLease,
  BodyRefusedError,
  bodyTimeoutMs,
  countTimedOut,
  holdLease,
  isAdmitted,
  releaseLease,
} from './receive-limits';

/**
 * Read a request body into bytes, refusing to buffer more than `limitBytes`.
 * `Content-Length` is checked first so an honest oversized request is refused
 * without reading it; the stream is still counted, because the header can lie
 * or be absent (chunked encoding).
 *
 * The read happens under the process's receive limits (`receive-limits.ts`):
 * room for the declared length is reserved before the first byte (a chunked
 * body is counted as it arrives), and the whole body must arrive within
 * `bodyTimeoutMs`. Without room it throws `BodyRefusedError('busy')` having read
 * nothing; past the deadline, `BodyRefusedError('timeout')`. The lease is kept
 * against `request` until the caller answers and calls `releaseLease(request)`.
 * A request the Node adapter already read under its own lease is read as is.
 */
export async function readBodyWithLimit(
  request: Request,
  limitBytes: number,
  packageName: string,
): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limitBytes) {
    throw new PayloadTooLargeError({ packageName, limitBytes });
  }
  if (!request.body) return new Uint8Array(0);
  let lease: BodyLease | undefined;
  if (!isAdmitted(request)) {
    lease = admitBody(Number.isFinite(declared) ? declared : 0);
    if (!lease) throw new BodyRefusedError('busy');
    holdLease(request, lease);
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = lease
    ? new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BodyRefusedError('timeout')), bodyTimeoutMs());
      })
    : undefined;
  deadline?.catch(() => {});
  try {
    for (;;) {
      const { done, value } = await (deadline ? Promise.race([reader.read(), deadline]) : reader.read());
      if (done) break;
      total += value.byteLength;
      if (total > limitBytes) throw new PayloadTooLargeError({ packageName, limitBytes });
      if (lease && !lease.grow(value.byteLength)) throw new BodyRefusedError('busy');
      chunks.push(value);
    }
  } catch (error) {
    // Never wait on a stalled stream: cancel it and let go of everything read so far.
    reader.cancel().catch(() => {});
    chunks.length = 0;
    if (BodyRefusedError.is(error) && error.reason === 'timeout') countTimedOut();
    releaseLease(request);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  lease?.finishReading();
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  chunks.length = 0;
  return body;
}

/** Lower-cased header map, as `WebhookRequestV1.headers` promises. */
export function headersToRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name.toLowerCase()] = value;
  });
  return record;
}
