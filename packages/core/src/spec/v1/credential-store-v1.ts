/** A stored credential: what a connector needs to call the provider for one connection. */
export interface StoredCredentialV1 {
  /**
   * Provider-specific and opaque to the store: access token, refresh token,
   * expiry, scopes. Stored as JSON; wrap the store with
   * `encryptCredentialStore` to keep it encrypted at rest. Never logged.
   */
  value: Readonly<Record<string, unknown>>;
  /** Increments on every save, so a caller can tell a fresh token from the one that just failed. */
  revision: number;
  /**
   * Set when the provider refused the refresh token (`invalid_grant`): the
   * connection needs a human to reconnect it. Retrying cannot help, so
   * callers stop and health shows it. Cleared by the next `put`.
   */
  invalidReason: string | null;
  updatedAt: Date;
}

/** The outcome of asking for a key's refresh lease. */
export type RefreshLeaseV1 =
  | {
      acquired: true;
      /** The credential as it is now: refresh from this one. */
      current: StoredCredentialV1 | null;
    }
  | {
      acquired: false;
      /** Another process is refreshing; re-read the credential after this time (or sooner). */
      heldUntil: Date;
    };

/**
 * Where OAuth connections keep their tokens. Refresh tokens rotate (each
 * refresh returns a new one and retires the old), so two workers refreshing
 * at once would log each other out: refreshing is single-flight per key
 * across every process, through a lease. Keys look like `<source>:<tenant>`.
 */
export interface CredentialStoreV1 {
  readonly specificationVersion: 'v1';
  get(key: string): Promise<StoredCredentialV1 | null>;
  /** Save a credential outright (initial connect, a reconnect, a static token). Clears `invalidReason`. */
  put(key: string, value: Readonly<Record<string, unknown>>): Promise<StoredCredentialV1>;
  /** Take the key's refresh lease unless another owner holds an unexpired one. */
  acquireRefreshLease(key: string, request: { owner: string; leaseMs: number; now?: Date }): Promise<RefreshLeaseV1>;
  /**
   * Save the refreshed credential and release the lease, atomically. Resolves
   * `null`, saving nothing, when `owner` no longer holds the lease.
   */
  completeRefresh(
    key: string,
    request: { owner: string; value: Readonly<Record<string, unknown>> },
  ): Promise<StoredCredentialV1 | null>;
  /**
   * Release the lease without a new credential (the refresh failed). With
   * `invalidReason`, mark the credential as needing a reconnect.
   */
  releaseRefreshLease(key: string, request: { owner: string; invalidReason?: string }): Promise<void>;
  /**
   * The connections marked "reconnect required" whose key starts with
   * `prefix` (`xero:`), for health pages and alerts. Never returns the
   * credentials themselves.
   */
  listInvalid(prefix: string): Promise<InvalidCredentialV1[]>;
}

/** A connection whose refresh token the provider refused: someone must reconnect it. */
export interface InvalidCredentialV1 {
  key: string;
  invalidReason: string;
  /** When it was marked. */
  updatedAt: Date;
}
