/**
 * The hub's operational log (pino, JSON lines on stderr). Paths that could hold a secret are
 * redacted as a second line of defence; the hub never puts a secret in a log call.
 */
import pino from 'pino';
import type { Logger } from 'pino';

/** The logger the hub writes to. */
export type HubLogger = Logger;

/** Create the hub's logger; `destination` defaults to stderr. */
export function createHubLogger(level: string, destination: pino.DestinationStream = pino.destination(2)): HubLogger {
  return pino(
    {
      name: 'rego-broker-hub',
      level,
      base: { service: 'rego-broker-hub' },
      redact: { paths: ['*.authorization', '*.privateKey', '*.password', '*.token', 'headers.cookie'], censor: '[REDACTED]' },
    },
    destination,
  );
}
