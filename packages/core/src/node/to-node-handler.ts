import type { IncomingMessage, ServerResponse } from 'node:http';
import { ActError } from '../errors';
import { type NodeHandlerOptions, toWebRequest } from './to-web-request';
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
 */
export function toNodeHandler(handler: WebHandler, options: NodeHandlerOptions = {}): NodeHandler {
  const onError = options.onError ?? ((error: unknown) => console.error(error));
  return async function nodeHandler(req, res, next) {
    try {
      let request: Request;
      try {
        request = await toWebRequest(req, options);
      } catch (error) {
        if (ActError.isInstance(error) && error.status === 413) {
          // The rest of the body is not read: close the connection after answering.
          res.setHeader('connection', 'close');
          await writeWebResponse(res, Response.json({ error: error.message }, { status: 413 }));
          return;
        }
        throw error;
      }
      const response = await handler(request);
      await writeWebResponse(res, response);
    } catch (error) {
      fail(error, res, next, onError);
    }
  };
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
