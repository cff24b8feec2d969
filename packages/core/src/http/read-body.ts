import { PayloadTooLargeError } from '../errors';

/**
 * Read a request body into bytes, refusing to buffer more than `limitBytes`.
 * `Content-Length` is checked first so an honest oversized request is refused
 * without reading it; the stream is still counted, because the header can lie
 * or be absent (chunked encoding).
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
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => {});
      throw new PayloadTooLargeError({ packageName, limitBytes });
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
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
