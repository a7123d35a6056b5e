/**
 * Why this exists: WireGuard keys are raw Curve25519 scalars in base64, and the broker must
 * make and check them without handing a private key to another process on its command line
 * (argv is world-readable in /proc). Node's X25519 does the math in-process; the results agree
 * byte for byte with `wg genkey` / `wg pubkey`.
 */
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';

/** ASN.1 prefix of a PKCS#8 X25519 private key (RFC 8410); the 32 raw bytes follow. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
/** Length of the SPKI DER of an X25519 public key; its last 32 bytes are the raw key. */
const SPKI_X25519_LENGTH = 44;

const KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

/** True when `key` is the base64 of exactly 32 bytes, as WireGuard writes keys. */
export function isValidKey(key: string): boolean {
  return KEY_PATTERN.test(key);
}

/** A new private key, clamped like `wg genkey` (RFC 7748 §5), base64. */
export function generatePrivateKey(): string {
  const k = randomBytes(32);
  k[0] = k[0]! & 248;
  k[31] = (k[31]! & 127) | 64;
  const out = k.toString('base64');
  k.fill(0);
  return out;
}

/**
 * The public key of a base64 private key, base64. Throws a `TypeError` that does not echo the
 * key when it is not a valid key.
 */
export function publicKeyFromPrivate(privBase64: string): string {
  if (!isValidKey(privBase64)) throw new TypeError('not a WireGuard key (expected base64 of 32 bytes)');
  const raw = Buffer.from(privBase64, 'base64');
  const der = Buffer.concat([PKCS8_X25519_PREFIX, raw]);
  raw.fill(0);
  try {
    const priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
    const spki = createPublicKey(priv).export({ format: 'der', type: 'spki' });
    return spki.subarray(SPKI_X25519_LENGTH - 32).toString('base64');
  } finally {
    der.fill(0);
  }
}
