/**
 * The operational log (pino, JSON on stderr). Decision records do not go here; they have their
 * own writer. Paths that could hold a secret are redacted as a second line of defence.
 */
import pino from 'pino';
import type { Logger } from 'pino';

export type { Logger };

/** Create the operational logger; `destination` defaults to stderr. */
export function createLogger(level: string, destination: pino.DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      name: 'rego-broker',
      level,
      base: { service: 'rego-broker' },
      redact: { paths: ['*.authorization', '*.token', '*.privateKey', '*.password', 'headers.cookie'], censor: '[REDACTED]' },
    },
    destination,
  );
}
