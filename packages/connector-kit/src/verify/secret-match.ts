const encoder = new TextEncoder();

/**
 * A constant-time match of a candidate against a list of secrets: each
 * secret's HMAC under a random per-process key, then `crypto.subtle.verify`
 * of the candidate against it. No early exit on the first differing byte and
 * no length leak, on any runtime; every secret is checked, so the time taken
 * does not say which one matched. Resolves to the index of the match.
 */
export function createSecretMatcher(secrets: readonly string[]): (candidate: string) => Promise<number | undefined> {
  let prepared: Promise<{ key: CryptoKey; macs: (ArrayBuffer | undefined)[] }> | undefined;
  const prepare = async () => {
    const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
    const macs = await Promise.all(
      secrets.map((secret) => (secret === '' ? undefined : crypto.subtle.sign('HMAC', key, encoder.encode(secret)))),
    );
    return { key, macs };
  };
  return async (candidate) => {
    prepared ??= prepare();
    const { key, macs } = await prepared;
    const bytes = encoder.encode(candidate);
    let match: number | undefined;
    for (const [index, mac] of macs.entries()) {
      if (mac && (await crypto.subtle.verify('HMAC', key, mac, bytes)) && match === undefined) match = index;
    }
    return match;
  };
}
