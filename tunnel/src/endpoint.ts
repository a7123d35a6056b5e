/**
 * Peer endpoints as `host:port`, where host is a DNS name, an IPv4 address or a bracketed
 * IPv6 address. The host is resolved by the broker (not left to `wg`), so a failure has a
 * clear message and the heartbeat can resolve it again later.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** An endpoint split into its parts. */
export interface ParsedEndpoint {
  /** DNS name or IP address, without brackets. */
  host: string;
  /** UDP port, 1..65535. */
  port: number;
}

/** Resolve a host name to one address (the system resolver, like `getaddrinfo`). */
export type HostResolver = (host: string) => Promise<string>;

/** The system resolver: `dns.lookup`, first answer. */
export const SYSTEM_RESOLVER: HostResolver = async (host) => (await lookup(host)).address;

/** Parse `host:port` / `[v6]:port`; returns null when it is not of that shape. */
export function parseEndpoint(endpoint: string): ParsedEndpoint | null {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(endpoint);
  if (m === null) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  const host = m[1] ?? m[2] ?? '';
  if (m[1] !== undefined && isIP(host) !== 6) return null;
  return { host, port };
}

/** Format an IP and port the way `wg` expects: `1.2.3.4:51820` or `[fd00::1]:51820`. */
export function formatEndpoint(ip: string, port: number): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Resolve an endpoint's host; IP literals are returned as they are. Rejects when unresolvable. */
export async function resolveEndpoint(endpoint: string, resolve: HostResolver): Promise<string> {
  const parsed = parseEndpoint(endpoint);
  if (parsed === null) throw new Error(`"${endpoint}" is not host:port`);
  const ip = isIP(parsed.host) !== 0 ? parsed.host : await resolve(parsed.host);
  return formatEndpoint(ip, parsed.port);
}
