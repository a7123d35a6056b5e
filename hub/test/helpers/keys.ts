/** Fixed WireGuard public keys for hub tests (public values only: nothing here is a secret). */
import { generatePrivateKey, publicKeyFromPrivate } from '../../../tunnel/src/index';

/** `n` distinct public keys, made fresh per test run. */
export function publicKeys(n: number): string[] {
  return Array.from({ length: n }, () => publicKeyFromPrivate(generatePrivateKey()));
}
