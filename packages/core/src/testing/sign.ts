/**
 * Sign bytes with HMAC-SHA256, as most providers sign webhooks (Xero, Email
 * Bison, and the connector template). For building signed fixtures in tests
 * and in `act trigger`.
 */
export async function signHmacSha256(options: {
  secret: string | Uint8Array;
  body: string | Uint8Array;
  encoding?: 'hex' | 'base64';
}): Promise<string> {
  const encoder = new TextEncoder();
  const secret = typeof options.secret === 'string' ? encoder.encode(options.secret) : options.secret;
  const body = typeof options.body === 'string' ? encoder.encode(options.body) : options.body;
  const key = await crypto.subtle.importKey('raw', secret as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const signature = new Uint8Array(await crypto.subtle.sign('HMAC', key, body as BufferSource));
  if (options.encoding === 'base64') {
    let binary = '';
    for (const byte of signature) binary += String.fromCharCode(byte);
    return btoa(binary);
  }
  return [...signature].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Build a `Request` for a webhook handler from a body and headers. */
export function createWebhookRequest(options: {
  body: string | Uint8Array;
  headers?: Record<string, string>;
  url?: string;
  method?: string;
}): Request {
  return new Request(options.url ?? 'http://localhost/webhooks/test', {
    method: options.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...options.headers },
    body: options.body as BodyInit,
  });
}
