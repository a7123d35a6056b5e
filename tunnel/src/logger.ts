/**
 * The logger the tunnel writes to: the structural subset of pino it uses, so the broker can
 * pass its pino instance and tests can pass a recorder.
 */
export interface TunnelLogger {
  /** A normal event (interface up, heartbeat restored). */
  info(obj: object, msg: string): void;
  /** Something degraded (heartbeat lost, endpoint re-resolved to a new address). */
  warn(obj: object, msg: string): void;
  /** Something broke (the userspace WireGuard process exited). */
  error(obj: object, msg: string): void;
}

/** A logger that drops everything. */
export const NOOP_TUNNEL_LOGGER: TunnelLogger = Object.freeze({
  info: (): void => undefined,
  warn: (): void => undefined,
  error: (): void => undefined,
});
