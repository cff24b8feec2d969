/**
 * The verify engines: webhook signature and credential checks with one
 * result shape (`ok` / `code` / `reason`) that connectors map to their own
 * messages. See README.md "Signature verifiers".
 */
export {
  type HmacAlgorithm,
  type HmacSignatureOptions,
  type HmacVerified,
  hexToBytes,
  hmacSignature,
  type ParsedSignatureHeader,
  signHmac,
} from './hmac';
export { type JwksOptions, type JwksVerified, jwks } from './jwks';
export {
  importPublicKey,
  type PublicKeyAlgorithm,
  type PublicKeySignatureOptions,
  type PublicKeyVerified,
  pemToDer,
  publicKeySignature,
  splitPemList,
} from './public-key';
export { createSecretMatcher } from './secret-match';
export { type PathTokenOptions, pathToken, queryValue, type SharedSecretOptions, sharedSecret } from './shared-secret';
export { type TimestampedSignatureOptions, timestampedSignature } from './timestamped-signature';
export {
  headerValue,
  type Signable,
  type VerifiableRequest,
  type Verifier,
  type VerifyFailureCode,
  type VerifyResult,
} from './types';
