import type { IncomingMessage } from 'node:http';
import { ConfigurationError, PayloadTooLargeError } from '../errors';
import { admitBody, type BodyLease, BodyRefusedError, bodyTimeoutMs, countTimedOut } from '../http/receive-limits';

const PACKAGE_NAME = '@act/core';

/** 1 MiB, the same default as the web handler's own limit. */
export const DEFAULT_NODE_MAX_BODY_BYTES = 1024 * 1024;

export interface NodeHandlerOptions {
  /**
   * Largest body read from the request stream, in bytes. Reading stops at the
   * first byte over it and the request is answered with 413 (a `Content-Length`
   * above it is refused without reading). Defaults to 1 MiB, the web handler's
   * own default; raise it together with the processor's `maxBodyBytes`.
   */
  maxBodyBytes?: number;
  /** Base URL used to build `Request.url` when the request has no `Host` header. Defaults to `http://localhost`. */
  baseUrl?: string;
  /**
   * Called with errors answered with 500 because no `next` was given (the
   * handler threw, the body was already parsed). Defaults to `console.error`.
   */
  onError?: (error: unknown) => void;
}

/** What frameworks leave on the request: Google Cloud Functions' and `express.json({ verify })`'s `rawBody`, body parsers' `body`. */
export type NodeRequestLike = IncomingMessage & {
  rawBody?: unknown;
  body?: unknown;
  /** Express: the URL before a router stripped its mount path. */
  originalUrl?: string;
  /** body-parser's marker that it consumed the stream. */
  _body?: unknown;
};

const ALREADY_PARSED =
  "the request body was already parsed (express.json()?): mount the webhook route before body parsers or use express.raw({ type: '*/*' })";

const ALREADY_READ =
  "the request body stream was already read and no raw body was kept: mount the webhook route before body parsers or use express.raw({ type: '*/*' })";

/**
 * Turn a Node request into a web `Request` with the body bytes exactly as the
 * provider sent them, since signatures are computed over those bytes.
 *
 * Where the bytes come from, in order: `req.rawBody` (Google Cloud Functions,
 * or a user's `express.json({ verify })` capture), a Buffer `req.body`
 * (`express.raw()`), a string `req.body` (its UTF-8 bytes), else the request
 * stream, read up to `maxBodyBytes` (a `PayloadTooLargeError` past it). An
 * object `req.body` means a JSON parser consumed the stream and the original
 * bytes are gone: that throws a `ConfigurationError` saying how to mount the
 * route instead.
 */
export async function toWebRequest(req: NodeRequestLike, options: NodeHandlerOptions = {}): Promise<Request> {
  const { request, lease } = await readNodeRequest(req, options);
  // The caller owns the bytes from here; the handler it passes them to counts them again.
  lease?.release();
  return request;
}

/**
 * `toWebRequest`, keeping the body's share of the process's receive limits
 * (`configureReceiveLimits`) for the caller to release once it has answered.
 * A body read from the stream is admitted first (the declared `Content-Length`
 * reserved; a chunked body counted as it arrives) and must arrive within
 * `bodyTimeoutMs`: `BodyRefusedError` (`busy`, `timeout`) otherwise, with
 * everything read so far let go. A client that goes away mid-body rejects with
 * `ClientAbortedError`.
 * @internal
 */
export async function readNodeRequest(
  req: NodeRequestLike,
  options: NodeHandlerOptions = {},
): Promise<{ request: Request; lease: BodyLease | undefined }> {
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = copyHeaders(req);
  const url = requestUrl(req, options.baseUrl);
  if (method === 'GET' || method === 'HEAD') {
    return { request: new Request(url, { method, headers }), lease: undefined };
  }
  const { body, lease } = await rawBodyOf(req, options.maxBodyBytes ?? DEFAULT_NODE_MAX_BODY_BYTES);
  // The bytes are complete now: describe them, not how they travelled.
  headers.delete('transfer-encoding');
  headers.set('content-length', String(body.byteLength));
  // Request copies the bytes: ours are garbage as soon as this returns.
  return { request: new Request(url, { method, headers, body: body as Uint8Array<ArrayBuffer> }), lease };
}

/** The client closed the connection before its request body was complete: there is no one to answer. */
export class ClientAbortedError extends Error {
  constructor() {
    super(`[${PACKAGE_NAME}] the client closed the connection before the request body was complete`);
    this.name = 'ClientAbortedError';
  }
  static is(error: unknown): error is ClientAbortedError {
    return error instanceof Error && error.name === 'ClientAbortedError';
  }
}

function isBytes(value: unknown): value is Uint8Array {
  // Buffer is a Uint8Array.
  return value instanceof Uint8Array;
}

function streamConsumed(req: NodeRequestLike): boolean {
  return req.readableEnded === true || req.readableDidRead === true || req._body === true;
}

async function rawBodyOf(
  req: NodeRequestLike,
  maxBodyBytes: number,
): Promise<{ body: Uint8Array; lease: BodyLease | undefined }> {
  // Already in memory (a framework read it): nothing to admit or wait for.
  if (isBytes(req.rawBody)) return { body: checkLimit(req.rawBody, maxBodyBytes), lease: undefined };
  if (isBytes(req.body)) return { body: checkLimit(req.body, maxBodyBytes), lease: undefined };
  if (typeof req.body === 'string') {
    return { body: checkLimit(new TextEncoder().encode(req.body), maxBodyBytes), lease: undefined };
  }
  if (streamConsumed(req)) {
    // Express 4's body parsers set `req.body = {}` even for requests they skip,
    // so an object alone proves nothing; a consumed stream does.
    throw new ConfigurationError({
      packageName: PACKAGE_NAME,
      message: req.body !== undefined && req.body !== null ? ALREADY_PARSED : ALREADY_READ,
    });
  }
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBodyBytes) {
    throw new PayloadTooLargeError({ packageName: PACKAGE_NAME, limitBytes: maxBodyBytes });
  }
  if (declared === 0) return { body: await readStream(req, maxBodyBytes, undefined), lease: undefined };
  // Room is reserved before the first byte is read; without it the body is never read.
  const lease = admitBody(Number.isFinite(declared) ? declared : 0);
  if (!lease) throw new BodyRefusedError('busy');
  try {
    return { body: await readStream(req, maxBodyBytes, lease), lease };
  } catch (error) {
    lease.release();
    throw error;
  }
}

function checkLimit(body: Uint8Array, maxBodyBytes: number): Uint8Array {
  if (body.byteLength > maxBodyBytes)
    throw new PayloadTooLargeError({ packageName: PACKAGE_NAME, limitBytes: maxBodyBytes });
  return body;
}

function readStream(req: IncomingMessage, maxBodyBytes: number, lease: BodyLease | undefined): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    let chunks: Buffer[] = [];
    let total = 0;
    const timer = lease
      ? setTimeout(() => {
          countTimedOut();
          abandon(new BodyRefusedError('timeout'));
        }, bodyTimeoutMs())
      : undefined;
    const stop = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    /** Stop reading, drop what was read, and never let a late stream error go unhandled. */
    const abandon = (error: Error) => {
      stop();
      chunks = [];
      req.on('error', () => {});
      req.pause();
      reject(error);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += bytes.byteLength;
      if (total > maxBodyBytes) {
        abandon(new PayloadTooLargeError({ packageName: PACKAGE_NAME, limitBytes: maxBodyBytes }));
        // Keep the stream flowing so the rest is discarded rather than buffered.
        req.resume();
        return;
      }
      if (lease && !lease.grow(bytes.byteLength)) {
        abandon(new BodyRefusedError('busy'));
        return;
      }
      chunks.push(bytes);
    };
    const onEnd = () => {
      stop();
      lease?.finishReading();
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total);
      chunks = [];
      resolve(body);
    };
    const onError = (error: Error) => {
      stop();
      chunks = [];
      // Node reports a client that went away mid-body as `aborted` / ECONNRESET.
      const code = (error as { code?: unknown }).code;
      reject(code === 'ECONNRESET' || error.message === 'aborted' ? new ClientAbortedError() : error);
    };
    const onClose = () => {
      stop();
      chunks = [];
      reject(new ClientAbortedError());
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  if (Array.isArray(value)) return value[0];
  return value;
}

function copyHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    // HTTP/2 pseudo-headers (`:authority`) are not valid header names.
    if (value === undefined || name.startsWith(':')) continue;
    if (Array.isArray(value)) {
      for (const item of value) headers.append(name, item);
    } else {
      headers.append(name, value);
    }
  }
  return headers;
}

/** The request's absolute URL as the web handler sees it (also used for refusals in `to-node-handler.ts`). */
export function requestUrl(req: NodeRequestLike, baseUrl = 'http://localhost'): string {
  const path = req.originalUrl ?? req.url ?? '/';
  const host = headerValue(req.headers.host) ?? headerValue(req.headers[':authority']);
  const forwardedProto = headerValue(req.headers['x-forwarded-proto'])?.split(',')[0]?.trim().toLowerCase();
  const encrypted = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  const protocol =
    forwardedProto === 'https' || forwardedProto === 'http' ? forwardedProto : encrypted ? 'https' : 'http';
  const fallback = new URL(baseUrl).origin;
  const origin = host ? `${protocol}://${host}` : fallback;
  if (!path.startsWith('/')) {
    // Absolute-form request target (`POST http://host/path`).
    try {
      return new URL(path).href;
    } catch {
      return new URL(`/${path}`, fallback).href;
    }
  }
  // Concatenate rather than resolve, so `//other.host/x` stays a path.
  try {
    return new URL(origin + path).href;
  } catch {
    return new URL(fallback + path).href;
  }
}
