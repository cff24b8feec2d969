// The part of a connector's signer (`SourceSignerV1`, used by `act trigger`,
// the demo and tests) that does not depend on the provider: a shared secret
// given as `--secret <key>` or taken from the receiver's own variable, whose
// first value is the current one while secrets rotate (`new,old`).
import type { SignContextV1, SignerOptionV1 } from '@act/core/internal';

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
