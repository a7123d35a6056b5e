/**
 * The hub's configuration schema (convict). Every key has a default, a doc string and an
 * environment override `REGO_BROKER_HUB_<PATH>` (camelCase split on capitals, dots to
 * underscores); `deployments` takes JSON in its variable.
 */
import type { Schema } from 'convict';

/** The tree as it comes from files and the environment, before `parseHubConfig`. */
export interface RawHubConfig {
  wireguard: {
    enabled: boolean;
    interface: string;
    privateKeyFile: string;
    privateKeyEnv: string;
    listenPort: number;
    address: string;
    mtu: number;
    wireguardGo: string;
    wg: string;
  };
  carrier: { enabled: boolean; host: string; port: number; certFile: string; keyFile: string };
  heartbeat: { host: string; port: number; staleAfterSeconds: number; duplicateWindowSeconds: number };
  front: {
    host: string;
    port: number;
    brokerPort: number;
    connectTimeoutMs: number;
    responseTimeoutMs: number;
    maxBodyBytes: number;
    drainTimeoutMs: number;
    keepAlive: boolean;
  };
  admin: { host: string; port: number };
  log: { level: string };
  deployments: unknown;
}

const positive = {
  name: 'hub-positive-number',
  validate(value: unknown): void {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error('must be a number above 0');
  },
  coerce: (value: unknown): unknown => (typeof value === 'string' ? Number(value) : value),
};

const list = {
  name: 'hub-json-list',
  validate(value: unknown): void {
    if (!Array.isArray(value)) throw new Error('must be a list');
  },
  coerce: (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value),
};

/** Custom convict formats of the schema (names prefixed so they never clash with the broker's). */
export const HUB_FORMATS = { [positive.name]: positive, [list.name]: list };

type Leaf = { doc: string; format: unknown; default: unknown; env?: string; sensitive?: boolean };

/** Add `env: REGO_BROKER_HUB_<PATH>` to every leaf. */
function withEnv<T>(tree: Record<string, unknown>, path: string[] = []): Schema<T> {
  const out: Record<string, unknown> = {};
  for (const [key, node] of Object.entries(tree)) {
    const here = [...path, key];
    if (typeof node === 'object' && node !== null && 'doc' in node) {
      const name = here.map((k) => k.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()).join('_');
      out[key] = { ...(node as Leaf), env: `REGO_BROKER_HUB_${name}` };
    } else {
      out[key] = withEnv(node as Record<string, unknown>, here);
    }
  }
  return out as Schema<T>;
}

const PORT = 'port';
const POSITIVE = positive.name;

/** The schema. */
export function hubSchema(): Schema<RawHubConfig> {
  return withEnv<RawHubConfig>({
    wireguard: {
      enabled: { doc: 'Bring up and manage the hub\'s WireGuard interface (false: it is managed elsewhere; health from heartbeats only).', format: Boolean, default: true },
      interface: { doc: 'Name of the WireGuard interface.', format: String, default: 'rbhub0' },
      privateKeyFile: { doc: 'File holding the hub\'s WireGuard private key.', format: String, default: '' },
      privateKeyEnv: { doc: 'Environment variable holding the hub\'s WireGuard private key.', format: String, default: '' },
      listenPort: { doc: 'UDP port the brokers dial.', format: PORT, default: 51820 },
      address: { doc: 'The hub\'s own tunnel address (IPv6, added as a /128).', format: String, default: 'fdf0:59dc:33cf:9be9::1' },
      mtu: { doc: 'MTU of the interface.', format: 'nat', default: 1320 },
      wireguardGo: { doc: 'The userspace WireGuard program, used without the kernel module.', format: String, default: 'wireguard-go' },
      wg: { doc: 'The wg tool.', format: String, default: 'wg' },
    },
    carrier: {
      enabled: { doc: 'Run the TLS carrier (WireGuard over WebSocket over HTTPS) for brokers whose UDP is blocked.', format: Boolean, default: false },
      host: { doc: 'Address of the carrier listener.', format: String, default: '::' },
      port: { doc: 'Port of the carrier listener (0 = any free port).', format: PORT, default: 443 },
      certFile: { doc: 'PEM certificate chain of the carrier.', format: String, default: '' },
      keyFile: { doc: 'PEM private key of the carrier.', format: String, default: '' },
    },
    heartbeat: {
      host: { doc: 'Address of the heartbeat listener (empty = wireguard.address).', format: String, default: '' },
      port: { doc: 'Port of the heartbeat listener (0 = any free port).', format: PORT, default: 8080 },
      staleAfterSeconds: { doc: 'A replica without a heartbeat for this long is not routed to.', format: POSITIVE, default: 5 },
      duplicateWindowSeconds: { doc: 'Instance ids flipping back within this window are two processes with one identity.', format: POSITIVE, default: 30 },
    },
    front: {
      host: { doc: 'Address of the front listener (the SaaS\'s own services call it).', format: String, default: '127.0.0.1' },
      port: { doc: 'Port of the front listener (0 = any free port).', format: PORT, default: 8000 },
      brokerPort: { doc: 'Port of the replicas\' tunnel listener (their listen.port).', format: PORT, default: 8080 },
      connectTimeoutMs: { doc: 'Time to connect to a replica; past it the request goes to another one.', format: POSITIVE, default: 2000 },
      responseTimeoutMs: { doc: 'Time for a replica to start answering once the request is sent (504 past it).', format: POSITIVE, default: 60000 },
      maxBodyBytes: { doc: 'Largest request body (buffered so that it can be sent to another replica); 413 above.', format: 'nat', default: 10485760 },
      drainTimeoutMs: { doc: 'On SIGTERM, how long requests in flight get to finish.', format: 'nat', default: 10000 },
      keepAlive: { doc: 'Reuse connections to replicas (faster; but a request written onto a kept-alive connection to a replica that vanished fails with 502 when it turns stale, instead of going to another replica).', format: Boolean, default: false },
    },
    admin: {
      host: { doc: 'Address of the admin listener (/healthz, /readyz, /metrics).', format: String, default: '127.0.0.1' },
      port: { doc: 'Port of the admin listener (0 = any free port).', format: PORT, default: 9100 },
    },
    log: {
      level: { doc: 'Level of the operational log (stderr).', format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info' },
    },
    deployments: {
      doc: 'Deployments: [{id, name, replicas: [{index, publicKey, address}]}].',
      format: list.name,
      default: [],
    },
  });
}
