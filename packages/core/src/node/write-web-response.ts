import type { ServerResponse } from 'node:http';

/**
 * Write a web `Response` to a Node `ServerResponse`: status, headers (each
 * `set-cookie` kept as its own header line) and the body, streamed with
 * back-pressure. Resolves once the response is ended, or when the client went
 * away (the body stream is then cancelled).
 */
export async function writeWebResponse(res: ServerResponse, response: Response): Promise<void> {
  res.statusCode = response.status;
  if (response.statusText) res.statusMessage = response.statusText;
  for (const [name, value] of response.headers) {
    if (name === 'set-cookie') continue;
    res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) res.setHeader('set-cookie', cookies);

  if (response.body) {
    const completed = await pipeBody(response.body, res);
    if (!completed) return;
  }
  // `end()` before any write lets Node send `Content-Length: 0` for an empty body.
  if (res.destroyed) return;
  const finished = settled(res, 'finish');
  res.end();
  await finished;
}

/** Resolves `false` when the client went away before the body was written. */
async function pipeBody(body: ReadableStream<Uint8Array>, res: ServerResponse): Promise<boolean> {
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (res.destroyed) {
        await reader.cancel().catch(() => {});
        return false;
      }
      if (value.byteLength === 0) continue;
      if (!res.write(value)) await settled(res, 'drain');
    }
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  }
  return true;
}

/** Resolves on `event`, or on `close` when the connection goes away first. */
function settled(res: ServerResponse, event: 'drain' | 'finish'): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off(event, done);
      res.off('close', done);
      resolve();
    };
    res.on(event, done);
    res.on('close', done);
  });
}
