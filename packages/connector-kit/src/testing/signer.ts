// The part of a connector's signer (`SourceSignerV1`, used by `act trigger`,
// the demo and tests) that does not depend on the provider: a shared secret
// given as `--secret <key>` or taken from the receiver's own variable, whose
// first value is the current one while secrets rotate (`new,old`).
import type {
  SampleDeliveryV1,
  SignContextV1,
  SignedDeliveryV1,
  SignerOptionV1,
  SourceSignerV1,
} from '@act/core/internal';

/** The signer's `--secret <key>` flag, described for `--help`. */
export function secretSignerOption(description: string): Readonly<Record<string, SignerOptionV1>> {
  return { secret: { type: 'string', description } };
}

/**
 * The secret to sign with: `--secret`, else the first of the comma-separated
 * `variable` in the environment.
 * @throws the context's configuration error with `missing` when neither is set.
 */
export function signerSecret(context: SignContextV1, variable: string, missing: string): string {
  const option = context.options.secret;
  const secret = (typeof option === 'string' ? option : undefined) ?? context.env[variable]?.split(',')[0]?.trim();
  if (!secret) throw context.configurationError(missing);
  return secret;
}

export interface SecretSignerOptions {
  /** The receiver's variable holding the secret(s), comma-separated while rotating. */
  variable: string;
  /** The `--secret` flag's line for `--help`. */
  description: string;
  /** The configuration error's message when neither `--secret` nor `variable` is set. */
  missing: string;
  /** Sign `delivery` with `secret`: the signature header(s) and how to describe and explain the answer. */
  sign(
    delivery: Pick<SampleDeliveryV1, 'event' | 'body' | 'headers'>,
    secret: string,
    context: SignContextV1,
  ): Promise<Omit<SignedDeliveryV1, 'body'>>;
}

/**
 * A signer for a provider that signs with a shared secret: `--secret` or the
 * first of `variable`, passed to `sign`; the delivery's body is sent as is,
 * with its own headers and the signature's.
 */
export function secretSigner(options: SecretSignerOptions): SourceSignerV1 {
  return {
    options: secretSignerOption(options.description),
    async sign(delivery, context): Promise<SignedDeliveryV1> {
      const signed = await options.sign(delivery, signerSecret(context, options.variable, options.missing), context);
      return { ...signed, body: delivery.body, headers: { ...delivery.headers, ...signed.headers } };
    },
  };
}
