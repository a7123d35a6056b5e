/**
 * `NO_PROXY` matching, the way curl and most tools read it: a comma- or space-separated list
 * of host names (matching the name and its subdomains), `.suffix` entries, IP literals,
 * optional `:port`, and `*` for everything.
 */
import { isIP } from 'node:net';

/** Split a `NO_PROXY` value into entries (lower-case, trimmed, empty ones dropped). */
export function parseNoProxy(value: string): string[] {
  return value
    .split(/[\s,]+/)
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
}

function splitHostPort(entry: string): { host: string; port: number | null } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (v6 !== null) return { host: v6[1] ?? '', port: v6[2] === undefined ? null : Number(v6[2]) };
  if (isIP(entry) === 6) return { host: entry, port: null };
  const m = /^(.*?)(?::(\d+))?$/.exec(entry);
  return { host: m?.[1] ?? entry, port: m?.[2] === undefined ? null : Number(m[2]) };
}

/** True when `host:port` should be reached directly according to `entries`. */
export function bypassesProxy(host: string, port: number, entries: readonly string[]): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  for (const raw of entries) {
    if (raw === '*') return true;
    const e = splitHostPort(raw);
    if (e.port !== null && e.port !== port) continue;
    const name = e.host.replace(/^\*?\./, '').replace(/\.$/, '');
    if (name === '') continue;
    if (isIP(name) !== 0 || isIP(h) !== 0) {
      if (name === h) return true;
      continue;
    }
    if (h === name || h.endsWith(`.${name}`)) return true;
  }
  return false;
}
