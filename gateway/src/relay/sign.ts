/**
 * The relay's own signature, so the SaaS can verify that a webhook came from this broker and
 * was not changed on the way: `X-Rego-Broker-Signature: sha256=<hex HMAC-SHA256>` over the exact
 * bytes of the body sent, under the signing key shared with the SaaS (`relay.signingKeyEnv` or
 * `relay.signingKeyFile`). The receiver computes the same HMAC over the bytes it received and
 * compares in constant time (docs/relay.md has an example).
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-rego-broker-signature';

/** `sha256=<hex>` of `body` under `key`. */
export function signBody(body: Buffer, key: string): string {
  return `sha256=${createHmac('sha256', key).update(body).digest('hex')}`;
}
