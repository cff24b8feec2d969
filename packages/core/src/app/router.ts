import { REFUSE_UNREAD, type RefuseUnread, releaseLease } from '../http/receive-limits';

const PACKAGE_NAME = '@act/core';

/** One webhook endpoint: a source's processor and the handler that receives for it. */
export interface WebhookRoute {
  /** Connector id (`ghl`). */
  source: string;
  /** The processor's name in the connector's `webhooks` (`default`, `workflow`). */
  processor: string;
  /** Where it answers, prefix included: `/webhooks/ghl`, `/webhooks/ghl/workflow`. */
  paths: readonly string[];
  handler: (request: Request) => Promise<Response>;
}

/** The web-standard handler over every route, usable with `toNodeHandler` as is. */
export type WebhookRouter = (request: Request) => Promise<Response>;

/**
 * Normalise a mount prefix: `''` for none, else `/a/b` (one leading slash, no
 * trailing one), so `webhooks`, `/webhooks` and `/webhooks/` are the same.
 */
export function normalisePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '' : `/${trimmed}`;
}

/**
 * Route a request by its path to the route serving it: `<prefix>/<source>` or
 * `<prefix>/<source>/<processor>` (a trailing slash is ignored). Unknown paths
 * get a 404 naming the known endpoints, so a provider pointed at the wrong URL
 * shows up in its delivery log with the reason. Every method reaches the
 * route (a processor's `handshake` may answer a GET); its handler answers 405
 * to anything else that is not a POST, with `Allow: POST` added here.
 *
 * The receive limits of `toNodeHandler` stay per route: a body refused unread
 * is answered with the status of the provider its path names.
 */
export function createWebhookRouter(routes: readonly WebhookRoute[]): WebhookRouter {
  const byPath = new Map<string, WebhookRoute>();
  for (const route of routes) for (const path of route.paths) byPath.set(path, route);

  const find = (request: Request): WebhookRoute | undefined => {
    let pathname: string;
    try {
      pathname = new URL(request.url).pathname;
    } catch {
      return undefined;
    }
    if (pathname.length > 1) pathname = pathname.replace(/\/+$/, '');
    try {
      pathname = decodeURI(pathname);
    } catch {
      return undefined;
    }
    return byPath.get(pathname);
  };

  const notFound = (request: Request): Response => {
    const pathname = safePathname(request.url);
    return Response.json(
      {
        error: `[${PACKAGE_NAME}] no webhook endpoint at ${pathname}: the endpoints are ${
          byPath.size > 0 ? [...byPath.keys()].join(', ') : 'none (no connector has webhooks)'
        }`,
      },
      { status: 404 },
    );
  };

  const router = async (request: Request): Promise<Response> => {
    const route = find(request);
    if (!route) {
      // The body is never read: give back what the receive limits held for it.
      releaseLease(request);
      return notFound(request);
    }
    const response = await route.handler(request);
    if (response.status === 405 && !response.headers.has('allow')) {
      try {
        response.headers.set('allow', 'POST');
      } catch {
        // Immutable headers (a fetched response): the answer stands without it.
      }
    }
    return response;
  };

  // How a body refused unread by `toNodeHandler` is answered: by the route's
  // own handler (its provider's retry status), or as an unknown path.
  const refuseUnread: RefuseUnread = (request, reason) => {
    const route = find(request);
    const own = route ? (route.handler as { [REFUSE_UNREAD]?: RefuseUnread })[REFUSE_UNREAD] : undefined;
    if (own) return own(request, reason);
    if (!route) return notFound(request);
    return Response.json({ error: `[${PACKAGE_NAME}] request body refused (${reason})` }, { status: 503 });
  };
  return Object.assign(router, { [REFUSE_UNREAD]: refuseUnread });
}

function safePathname(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}
