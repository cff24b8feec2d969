import { createHmac } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type RequestListener,
  type Server,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ActError } from '../../src/errors';
import { toNodeHandler, toWebRequest, type WebHandler } from '../../src/node';

const ALREADY_PARSED =
  "[@act/core] the request body was already parsed (express.json()?): mount the webhook route before body parsers or use express.raw({ type: '*/*' })";

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

/** A real `node:http` server on an ephemeral port; resolves its base URL. */
async function serve(listener: RequestListener): Promise<string> {
  const server = createServer(listener);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function hmacHex(bytes: Uint8Array): string {
  return createHmac('sha256', 'test-secret').update(bytes).digest('hex');
}

/** Echoes what it received: HMAC of the body, the body itself, method and URL. */
const echoHandler: WebHandler = async (request) => {
  const body = new Uint8Array(await request.arrayBuffer());
  return new Response(body, {
    status: 200,
    headers: {
      'x-body-hmac': hmacHex(body),
      'x-method': request.method,
      'x-url': request.url,
      'x-content-length': request.headers.get('content-length') ?? '',
    },
  });
};

/** Read the whole request stream, as a body parser does. */
async function drain(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** POST with `Transfer-Encoding: chunked` (no Content-Length), one write per chunk. */
function postChunked(
  url: string,
  chunks: Uint8Array[],
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { 'content-type': 'application/octet-stream' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

// Whitespace, key order, a unicode escape and a raw non-ASCII character: any
// re-serialisation changes these bytes.
const JSON_BODY = '{ "type":"ContactUpdate",\n  "b": 2, "a": "caf\\u00e9 \u00e9",\t"n": 1.50 }\n';

describe('toNodeHandler over node:http', () => {
  it('hands the handler the exact body bytes, including non-UTF-8 ones', async () => {
    const url = await serve(toNodeHandler(echoHandler));
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x80, 0x7b, 0x0d, 0x0a, 0xc3, 0x28, 0x20, 0xf0, 0x9f]);
    const response = await fetch(`${url}/webhooks/ghl`, { method: 'POST', body: bytes });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-body-hmac')).toBe(hmacHex(bytes));
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
  });

  it('keeps JSON whitespace, key order and escapes, so the HMAC matches the sender’s', async () => {
    const url = await serve(toNodeHandler(echoHandler));
    const bytes = new TextEncoder().encode(JSON_BODY);
    const response = await fetch(`${url}/webhooks/ghl?token=abc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bytes,
    });
    expect(response.headers.get('x-body-hmac')).toBe(hmacHex(bytes));
    expect(response.headers.get('x-body-hmac')).not.toBe(
      hmacHex(new TextEncoder().encode(JSON.stringify(JSON.parse(JSON_BODY)))),
    );
    expect(await response.text()).toBe(JSON_BODY);
    expect(response.headers.get('x-url')).toBe(`${url}/webhooks/ghl?token=abc`);
    expect(response.headers.get('x-content-length')).toBe(String(bytes.byteLength));
  });

  it('reads a chunked body (no Content-Length) completely', async () => {
    const url = await serve(toNodeHandler(echoHandler));
    const chunks = [new Uint8Array([1, 2, 3]), new Uint8Array([0xff, 0x00]), new TextEncoder().encode(JSON_BODY)];
    const all = Buffer.concat(chunks);
    const response = await postChunked(`${url}/hook`, chunks);
    expect(response.status).toBe(200);
    expect(response.body).toEqual(all);
    expect(response.headers['x-body-hmac']).toBe(hmacHex(all));
    // The handler sees a self-consistent request: the length of the bytes it gets.
    expect(response.headers['x-content-length']).toBe(String(all.length));
  });

  it('round-trips request headers, method and URL, and response status, headers and body', async () => {
    let seen: Request | undefined;
    const url = await serve(
      toNodeHandler(async (request) => {
        seen = request;
        const headers = new Headers({ 'content-type': 'text/plain; charset=utf-8', 'x-custom': 'yes' });
        headers.append('set-cookie', 'a=1; Path=/');
        headers.append('set-cookie', 'b=2; Path=/; HttpOnly');
        return new Response(`got ${await request.text()}`, { status: 201, statusText: 'Made It', headers });
      }),
    );
    const response = await fetch(`${url}/a/b?x=1&y=%20`, {
      method: 'PUT',
      headers: { 'x-signature': 'sig', 'x-forwarded-proto': 'https', 'x-multi': 'one' },
      body: 'hello',
    });
    expect(response.status).toBe(201);
    expect(response.statusText).toBe('Made It');
    expect(response.headers.get('x-custom')).toBe('yes');
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    expect(await response.text()).toBe('got hello');

    expect(seen?.method).toBe('PUT');
    expect(seen?.url).toBe(`${url.replace('http:', 'https:')}/a/b?x=1&y=%20`);
    expect(seen?.headers.get('x-signature')).toBe('sig');
    expect(seen?.headers.get('host')).toBe(url.slice('http://'.length));
  });

  it('streams a multi-chunk response body and sends Content-Length: 0 for an empty one', async () => {
    const url = await serve(
      toNodeHandler(async (request) => {
        if (new URL(request.url).pathname === '/empty') return new Response(null, { status: 204 });
        if (new URL(request.url).pathname === '/blank') return new Response('', { status: 200 });
        const parts = ['one,', 'two,', 'three'];
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            const part = parts.shift();
            if (part === undefined) controller.close();
            else controller.enqueue(new TextEncoder().encode(part));
          },
        });
        return new Response(stream, { status: 200 });
      }),
    );
    expect(await (await fetch(`${url}/stream`)).text()).toBe('one,two,three');
    const empty = await fetch(`${url}/empty`);
    expect(empty.status).toBe(204);
    expect(await empty.text()).toBe('');
    const blank = await fetch(`${url}/blank`);
    expect(blank.headers.get('content-length')).toBe('0');
    expect(await blank.text()).toBe('');
  });

  it('answers 413 without calling the handler when Content-Length is over the limit', async () => {
    const handler = vi.fn(echoHandler);
    const url = await serve(toNodeHandler(handler, { maxBodyBytes: 1024 }));
    const response = await fetch(url, { method: 'POST', body: new Uint8Array(1025) });
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ error: '[@act/core] request body exceeds 1024 bytes' });
    expect(handler).not.toHaveBeenCalled();

    const atLimit = await fetch(url, { method: 'POST', body: new Uint8Array(1024) });
    expect(atLimit.status).toBe(200);
  });

  it('stops reading a chunked body at the first byte over the limit and answers 413', async () => {
    const handler = vi.fn(echoHandler);
    const url = await serve(toNodeHandler(handler, { maxBodyBytes: 1024 }));
    const response = await postChunked(url, [new Uint8Array(600), new Uint8Array(600), new Uint8Array(600)]);
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body.toString('utf8'))).toEqual({
      error: '[@act/core] request body exceeds 1024 bytes',
    });
    expect(handler).not.toHaveBeenCalled();
  });

  it('uses req.rawBody when a parser kept it (Google Cloud Functions, express.json({ verify }))', async () => {
    const handler = toNodeHandler(echoHandler);
    const url = await serve(async (req, res) => {
      // What express.json({ verify: (req, _res, buf) => { req.rawBody = buf } }) leaves behind.
      const raw = await drain(req);
      Object.assign(req, { rawBody: raw, body: JSON.parse(raw.toString('utf8')), _body: true });
      await handler(req, res);
    });
    const bytes = new TextEncoder().encode(JSON_BODY);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: bytes });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-body-hmac')).toBe(hmacHex(bytes));
  });

  it('uses a Buffer req.body (express.raw({ type: "*/*" }))', async () => {
    const handler = toNodeHandler(echoHandler);
    const url = await serve(async (req, res) => {
      Object.assign(req, { body: await drain(req), _body: true });
      await handler(req, res);
    });
    const bytes = new Uint8Array([0x7b, 0xff, 0x00, 0x7d]);
    const response = await fetch(url, { method: 'POST', body: bytes });
    expect(response.headers.get('x-body-hmac')).toBe(hmacHex(bytes));
  });

  it('uses the UTF-8 bytes of a string req.body (express.text(), Lambda adapters)', async () => {
    const handler = toNodeHandler(echoHandler);
    const url = await serve(async (req, res) => {
      Object.assign(req, { body: (await drain(req)).toString('utf8'), _body: true });
      await handler(req, res);
    });
    const bytes = new TextEncoder().encode(JSON_BODY);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: bytes });
    expect(response.headers.get('x-body-hmac')).toBe(hmacHex(bytes));
  });

  it('still reads the stream when a parser skipped the request but set req.body = {} (Express 4)', async () => {
    const handler = toNodeHandler(echoHandler);
    const url = await serve(async (req, res) => {
      Object.assign(req, { body: {} });
      await handler(req, res);
    });
    const bytes = new TextEncoder().encode(JSON_BODY);
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: bytes });
    expect(response.headers.get('x-body-hmac')).toBe(hmacHex(bytes));
  });

  describe('when express.json() already parsed the body', () => {
    async function serveParsed(withNext: boolean, onError = vi.fn()) {
      const handler = vi.fn(echoHandler);
      const nodeHandler = toNodeHandler(handler, { onError });
      const next = vi.fn((error?: unknown) => {
        void error;
      });
      const url = await serve(async (req, res) => {
        // What express.json() leaves: the stream consumed, only the parsed object kept.
        const raw = await drain(req);
        Object.assign(req, { body: JSON.parse(raw.toString('utf8')), _body: true });
        if (withNext) {
          await nodeHandler(req, res, (error) => {
            next(error);
            res.statusCode = 418;
            res.end('from next');
          });
        } else {
          await nodeHandler(req, res);
        }
      });
      return { url, handler, next, onError };
    }

    it('answers 500 with the fix in the message when there is no next', async () => {
      const { url, handler, onError } = await serveParsed(false);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON_BODY,
      });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: ALREADY_PARSED });
      expect(handler).not.toHaveBeenCalled();
      expect(onError).toHaveBeenCalledTimes(1);
    });

    it('passes the error to next when there is one', async () => {
      const { url, handler, next } = await serveParsed(true);
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON_BODY,
      });
      expect(response.status).toBe(418);
      expect(handler).not.toHaveBeenCalled();
      expect(next).toHaveBeenCalledTimes(1);
      const error = next.mock.calls[0]?.[0];
      expect(ActError.isInstance(error)).toBe(true);
      expect((error as Error).message).toBe(ALREADY_PARSED);
    });
  });

  it('passes a handler error to next(err)', async () => {
    const boom = new Error('database password is hunter2');
    const nodeHandler = toNodeHandler(async () => {
      throw boom;
    });
    const next = vi.fn();
    const url = await serve(async (req, res) => {
      await nodeHandler(req, res, (error) => {
        next(error);
        res.statusCode = 502;
        res.end();
      });
    });
    const response = await fetch(url, { method: 'POST', body: '{}' });
    expect(response.status).toBe(502);
    expect(next).toHaveBeenCalledWith(boom);
  });

  it('answers 500 without leaking a foreign error message when there is no next', async () => {
    const onError = vi.fn();
    const url = await serve(
      toNodeHandler(
        async () => {
          throw new Error('database password is hunter2');
        },
        { onError },
      ),
    );
    const response = await fetch(url, { method: 'POST', body: '{}' });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: '[@act/core] internal error' });
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'database password is hunter2' }));
  });

  it('never rejects: the returned promise resolves even when the handler throws', async () => {
    const nodeHandler = toNodeHandler(
      async () => {
        throw new Error('nope');
      },
      { onError: () => {} },
    );
    let settled: Promise<void> | undefined;
    const url = await serve((req, res) => {
      settled = nodeHandler(req, res);
    });
    await fetch(url, { method: 'POST', body: 'x' });
    await expect(settled).resolves.toBeUndefined();
  });
});

describe('toWebRequest', () => {
  /** A readable stream dressed as an IncomingMessage; `chunks` is what the stream yields. */
  function fakeRequest(init: { chunks?: Uint8Array[] } & Record<string, unknown> = {}): IncomingMessage {
    const { chunks = [], ...fields } = init;
    return Object.assign(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), {
      method: 'POST',
      url: '/',
      headers: {},
      ...fields,
    }) as unknown as IncomingMessage;
  }

  it('builds the URL from baseUrl when there is no Host header, and gives GET no body', async () => {
    const request = await toWebRequest(fakeRequest({ method: 'GET', url: '/ping?x=1' }), {
      baseUrl: 'https://hooks.example.com',
    });
    expect(request.url).toBe('https://hooks.example.com/ping?x=1');
    expect(request.method).toBe('GET');
    expect(request.body).toBeNull();
    expect((await toWebRequest(fakeRequest({ method: 'HEAD', url: '/' }))).url).toBe('http://localhost/');
  });

  it('keeps the full path under an Express router (originalUrl) and a `//` path as a path', async () => {
    const mounted = await toWebRequest(
      fakeRequest({ url: '/ghl?t=1', originalUrl: '/webhooks/ghl?t=1', headers: { host: 'api.example.com' } }),
    );
    expect(mounted.url).toBe('http://api.example.com/webhooks/ghl?t=1');
    const slashes = await toWebRequest(fakeRequest({ url: '//evil.example/x', headers: { host: 'api.example.com' } }));
    expect(new URL(slashes.url).host).toBe('api.example.com');
  });

  it('copies repeated headers', async () => {
    const request = await toWebRequest(
      fakeRequest({ headers: { host: 'h', 'x-a': ['1', '2'], 'x-b': 'b' }, chunks: [new Uint8Array([1])] }),
    );
    expect(request.headers.get('x-a')).toBe('1, 2');
    expect(request.headers.get('x-b')).toBe('b');
  });

  it('prefers rawBody, then body bytes, then a body string, then the stream', async () => {
    const stream = [new TextEncoder().encode('stream')];
    const fromRaw = await toWebRequest(
      fakeRequest({ rawBody: Buffer.from('raw'), body: Buffer.from('body'), _body: true, chunks: stream }),
    );
    expect(await fromRaw.text()).toBe('raw');
    const fromBody = await toWebRequest(
      fakeRequest({ body: new Uint8Array([0xde, 0xad]), _body: true, chunks: stream }),
    );
    expect(new Uint8Array(await fromBody.arrayBuffer())).toEqual(new Uint8Array([0xde, 0xad]));
    const fromString = await toWebRequest(fakeRequest({ body: 'caf\u00e9', _body: true, chunks: stream }));
    expect(new Uint8Array(await fromString.arrayBuffer())).toEqual(new TextEncoder().encode('caf\u00e9'));
    const fromStream = await toWebRequest(fakeRequest({ chunks: stream }));
    expect(await fromStream.text()).toBe('stream');
  });

  it('refuses a parsed object body with a message that says how to mount the route', async () => {
    const req = fakeRequest({ body: { type: 'ContactUpdate' }, _body: true });
    await expect(toWebRequest(req)).rejects.toThrow(ALREADY_PARSED);
  });

  it('applies maxBodyBytes to rawBody and body bytes too', async () => {
    const raw = fakeRequest({ rawBody: Buffer.alloc(11) });
    await expect(toWebRequest(raw, { maxBodyBytes: 10 })).rejects.toMatchObject({ status: 413 });
    const body = fakeRequest({ body: Buffer.alloc(11), _body: true });
    await expect(toWebRequest(body, { maxBodyBytes: 10 })).rejects.toMatchObject({ status: 413 });
    const fits = fakeRequest({ rawBody: Buffer.alloc(10) });
    expect((await (await toWebRequest(fits, { maxBodyBytes: 10 })).arrayBuffer()).byteLength).toBe(10);
  });
});
