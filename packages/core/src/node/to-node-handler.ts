import type { IncomingMessage, ServerResponse } from 'node:http';
import { ActError } from '../errors';
import {
  type BodyLease,
  type BodyRefusal,
  BodyRefusedError,
  bodyTimeoutMs,
  markAdmitted,
  REFUSE_UNREAD,
  type RefuseUnread,
  retryAfterSeconds,
} from '../http/receive-limits';
import { ClientAbortedError, type NodeHandlerOptions, readNodeRequest, requestUrl } from './to-web-request';
import { writeWebResponse } from './write-web-response';

/** A web-standard handler, such as the one `createWebhookHandler` returns. */
export type WebHandler = (request: Request) => Promise<Response>;

/** A `node:http` request listener that also works as Express or Connect middleware. */
export type NodeHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => Promise<void>;

/**
 * Mount a web handler on `node:http`, Express or Connect:
 *
 * ```ts
 * app.post('/webhooks/ghl', toNodeHandler(createWebhookHandler({ processor, store })));
 * http.createServer(toNodeHandler(handler)).listen(3000);
 * ```
 *
 * The body reaches the handler as the exact bytes the provider sent (see
 * `toWebRequest`), so mount the route before `express.json()` or give it
 * `express.raw()` for every content type. A body over `maxBodyBytes` is answered with
 * 413 directly. Other errors go to `next(error)` when there is a `next`, and
 * are answered with 500 otherwise. The returned promise never rejects.
 *
 * Bodies are read under the process's receive limits (`configureReceiveLimits`):
 * a request that does not fit is answered at once without its body being
 * read, and a body that has not arrived within `bodyTimeoutMs` is abandoned
 * and its connection closed. A handler from `createWebhookHandler` answers
 * these with its provider's retry status; any other handler gets 503 (no
 * room) or 408 (too slow). A client that leaves mid-body gets nothing and is
 * not reported.
 */
export function toNodeHandler(handler: WebHandler, options: NodeHandlerOptions = {}): NodeHandler {
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  return async function nodeHandler(req, res, next) {
    let lease: BodyLease | undefined;
    try {
      let request: Request;
      try {
        ({ request, lease } = await readNodeRequest(req, options));
      } catch (error) {
        if (ActError.isInstance(error) && error.status === 413) {
          // The rest of the body is not read: close the connection after answering.
          res.setHeader('connection', 'close');
          await writeWebResponse(res, Response.json({ error: error.message }, { status: 413 }));
          return;
        }
        if (BodyRefusedError.is(error)) {
          await refuse(handler, req, res, error.reason, options.baseUrl);
          return;
        }
        if (ClientAbortedError.is(error)) return;
        throw error;
      }
      // The handler must not count this body a second time: it is held under `lease`.
      if (lease) markAdmitted(request);
      const response = await handler(request);
      // The handler has answered: the body's bytes are no longer ours to count.
      lease?.release();
      await writeWebResponse(res, response);
    } catch (error) {
      fail(error, res, next, onError);
    } finally {
      lease?.release();
    }
  };
}

/**
 * Answer a request whose body was not (fully) read. `busy`: the answer goes out
 * at once; the rest of the body is then read and dropped (never buffered)
 * until it ends or the body deadline passes, when the connection is cut. Closing
 * at once would reset the connection with unread data in it, and the client
 * might never see the answer (a provider that retries only on 429 would then
 * drop a real delivery). `timeout`: the answer, then the connection is closed.
 */
async function refuse(
  handler: WebHandler,
  req: IncomingMessage,
  res: ServerResponse,
  reason: BodyRefusal,
  baseUrl: string | undefined,
): Promise<void> {
  const socket = req.socket;
  if (reason === 'busy' && !req.readableEnded) {
    req.on('error', () => {});
    const cut = setTimeout(() => socket?.destroy(), bodyTimeoutMs());
    cut.unref?.();
    const done = () => clearTimeout(cut);
    req.once('end', done);
    req.once('close', done);
    req.resume();
  }
  const refuseUnread = (handler as { [REFUSE_UNREAD]?: RefuseUnread })[REFUSE_UNREAD];
  let response: Response | undefined;
  if (refuseUnread) {
    try {
      response = refuseUnread(bodilessRequest(req, baseUrl), reason);
    } catch {
      response = undefined;
    }
  }
  response ??= Response.json(
    { error: new BodyRefusedError(reason).message },
    reason === 'busy'
      ? { status: 503, headers: { 'retry-after': String(retryAfterSeconds()) } }
      : // RFC 9110 §15.5.9: the server did not receive a complete request in the time it was prepared to wait.
        { status: 408 },
  );
  if (reason === 'timeout') res.setHeader('connection', 'close');
  await writeWebResponse(res, response);
  if (reason === 'timeout') socket?.destroy();
}

/** The request as the handler's refusal sees it: method, URL and headers (correlation id), no body. */
function bodilessRequest(req: IncomingMessage, baseUrl: string | undefined): Request {
  const headers = new Headers();
  const correlationId = req.headers['x-correlation-id'];
  if (typeof correlationId === 'string') headers.set('x-correlation-id', correlationId);
  let url: string;
  try {
    url = requestUrl(req, baseUrl);
  } catch {
    url = 'http://localhost/';
  }
  return new Request(url, { method: 'POST', headers });
}

function fail(
  error: unknown,
  res: ServerResponse,
  next: ((error?: unknown) => void) | undefined,
  onError: (error: unknown) => void,
): void {
  if (res.headersSent) {
    // Part of the response is out: the only honest signal left is a cut connection.
    onError(error);
    res.destroy();
    return;
  }
  if (next) {
    next(error);
    return;
  }
  onError(error);
  // Our own errors carry safe, actionable messages; anything else may hold
  // internals, so the caller only learns that it failed.
  const message = ActError.isInstance(error) ? error.message : '[@act/core] internal error';
  const body = JSON.stringify({ error: message });
  res.statusCode = 500;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
