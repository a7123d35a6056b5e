/**
 * Why this exists: secrets (integration tokens, the WireGuard private key) must reach the
 * code that uses them without ever passing through the configuration object that `dump`
 * prints, a log line or an error message. They are read here, on demand, from the reference
 * the configuration holds.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors';
import type { SecretRef } from './types';

/** The process environment, passed in explicitly by the CLI. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Read the secret a reference points at; throws a ConfigError naming the key, not the value. */
export function readSecret(ref: SecretRef, key: string, env: Env): string {
  let value: string | undefined;
  if (ref.env !== null) {
    value = env[ref.env];
    if (value === undefined || value === '') throw new ConfigError(`${key}Env: environment variable ${ref.env} is not set`);
  } else if (ref.file !== null) {
    try {
      value = readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new ConfigError(`${key}File: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (value === '') throw new ConfigError(`${key}File: ${ref.file} is empty`);
  } else if (ref.literal !== null) {
    value = ref.literal;
  }
  if (value === undefined) throw new ConfigError(`${key}: no secret configured`);
  if (/[\r\n]/.test(value)) throw new ConfigError(`${key}: the secret contains a line break`);
  return value;
}

/** True when the reference names a secret at all. */
export function hasSecret(ref: SecretRef): boolean {
  return ref.env !== null || ref.file !== null || ref.literal !== null;
}

/** A placeholder `dump` prints in place of a literal secret. */
export const REDACTED = '[REDACTED]';
