/**
 * The configuration schema (convict). Every key has a default, a doc string and an environment
 * override named `REGO_BROKER_<PATH>` (camelCase split on capitals, dots to underscores).
 * List-valued keys (`integrations`, `tunnel.peers`) take JSON in their environment variable.
 */
import type { Schema } from 'convict';
import type { DecisionLogConfig, DecisionServiceConfig, HeartbeatConfig, PolicyConfig, ProxyConfig, RelayListenerConfig } from './types';

/** Flags an integration may set, with the type each must have; the policy sees them snake_case. */
export const INTEGRATION_FLAGS: Readonly<Record<string, 'boolean' | 'string[]'>> = Object.freeze({
  allowCodeAccess: 'boolean',
  allowWrites: 'boolean',
  allowGitClone: 'boolean',
  allowWebhooks: 'boolean',
  allowedProjects: 'string[]',
  allowedWebhookUrls: 'string[]',
  rulesets: 'string[]',
  /** Imported rule ids switched off (with rulesets). */
  disabledRules: 'string[]',
});

/** Raw shapes as they come from files or the environment, before `parse`. */
export interface RawAuth {
  scheme?: unknown;
  tokenEnv?: unknown;
  tokenFile?: unknown;
  token?: unknown;
  username?: unknown;
  header?: unknown;
}

/** An HTTP proxy as written: URL, user name and a password reference. */
export interface RawProxyRef {
  url: string;
  username: string;
  passwordEnv: string;
  passwordFile: string;
  noProxy: string;
}

export interface RawCarrier {
  pinSha256: unknown;
  caFile: string;
  switchAfterSeconds: number;
  probeIntervalSeconds: number;
  connectTimeoutSeconds: number;
}

/** The schema of an HTTP proxy setting under `prefix` (a dotted config path). */
function proxySchema(prefix: string, env: string, what: string): Schema<RawProxyRef> {
  return {
    url: { doc: `http://host:port of the proxy ${what} (no credentials in it); empty = none${prefix === 'tunnel.proxy' ? ' (then HTTPS_PROXY applies)' : ''}.`, format: String, default: '', env: `${env}_URL` },
    username: { doc: `User name for the proxy ${what} (Basic authentication).`, format: String, default: '', env: `${env}_USERNAME` },
    passwordEnv: { doc: `Environment variable holding the password of the proxy ${what}.`, format: String, default: '', env: `${env}_PASSWORD_ENV` },
    passwordFile: { doc: `File holding the password of the proxy ${what}.`, format: String, default: '', env: `${env}_PASSWORD_FILE` },
    noProxy: { doc: `Hosts reached without the proxy ${what} (NO_PROXY syntax); empty = the NO_PROXY variable.`, format: String, default: '', env: `${env}_NO_PROXY` },
  };
}

export interface RawConfig {
  listen: { host: string; port: number };
  admin: { host: string; port: number };
  tunnel: {
    enabled: boolean;
    interface: string;
    privateKeyFile: string;
    privateKeyEnv: string;
    privateKey: string;
    localAddress: string;
    deploymentId: number | null;
    replica: number | string;
    mtu: number;
    peers: unknown;
    heartbeat: HeartbeatConfig;
    wireguardGo: string;
    wg: string;
    transport: string;
    carrier: RawCarrier;
    proxy: RawProxyRef;
  };
  policy: Omit<PolicyConfig, 'onLoadFailure' | 'signing' | 'service'> & {
    onLoadFailure: string;
    signing: { keys: unknown; required: boolean | null; scope: string };
    service: { url: string; pollSeconds: number; timeoutMs: number; tokenEnv: string; tokenFile: string };
  };
  proxy: Omit<ProxyConfig, 'upstreamProxy'> & { upstreamProxy: RawProxyRef };
  integrations: unknown;
  relay: Omit<RelayListenerConfig, 'signingKey'> & { signingKeyEnv: string; signingKeyFile: string };
  relays: unknown;
  telemetry: {
    serviceName: string;
    traces: { exporter: string; endpoint: string };
    decisionLog: DecisionLogConfig;
    decisionService: Omit<DecisionServiceConfig, 'token'> & { tokenEnv: string; tokenFile: string };
    logLevel: string;
  };
  shutdown: { graceSeconds: number; flushSeconds: number };
}

const jsonList = {
  name: 'json-list',
  validate(value: unknown): void {
    if (!Array.isArray(value)) throw new Error('must be a list');
  },
  coerce(value: unknown): unknown {
    return typeof value === 'string' ? JSON.parse(value) : value;
  },
};

/**
 * `tunnel.replica`: an integer, or the word `ordinal`. Digits from the environment become a
 * number; the range and the host name are checked in load.ts, where errors name the key.
 */
const replicaFormat = {
  name: 'replica',
  validate(value: unknown): void {
    if (typeof value !== 'number' && typeof value !== 'string') throw new Error('must be an integer from 0 to 65534 or "ordinal"');
  },
  coerce(value: unknown): unknown {
    return typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value;
  },
};

/** Custom convict formats used by the schema. */
export const FORMATS = { 'json-list': jsonList, replica: replicaFormat };

const PORT = 'port';

/** Build the schema given the default bundle path (resolved by the caller from the install dir). */
export function schema(defaultBundle: string): Schema<RawConfig> {
  return {
    listen: {
      host: { doc: 'Address of the tunnel listener in local mode.', format: String, default: '127.0.0.1', env: 'REGO_BROKER_LISTEN_HOST' },
      port: { doc: 'Port of the tunnel listener (0 = any free port).', format: PORT, default: 8080, env: 'REGO_BROKER_LISTEN_PORT' },
    },
    admin: {
      host: { doc: 'Address of the admin listener (healthz, readyz, metrics).', format: String, default: '127.0.0.1', env: 'REGO_BROKER_ADMIN_HOST' },
      port: { doc: 'Port of the admin listener (0 = any free port).', format: PORT, default: 9090, env: 'REGO_BROKER_ADMIN_PORT' },
    },
    tunnel: {
      enabled: { doc: 'Dial out a WireGuard tunnel and listen on its address only.', format: Boolean, default: false, env: 'REGO_BROKER_TUNNEL_ENABLED' },
      interface: { doc: 'Name of the WireGuard interface.', format: String, default: 'wg-broker', env: 'REGO_BROKER_TUNNEL_INTERFACE' },
      privateKeyFile: { doc: 'File holding the WireGuard private key.', format: String, default: '', env: 'REGO_BROKER_TUNNEL_PRIVATE_KEY_FILE' },
      privateKeyEnv: { doc: 'Environment variable holding the WireGuard private key.', format: String, default: '', env: 'REGO_BROKER_TUNNEL_PRIVATE_KEY_ENV' },
      privateKey: { doc: 'Literal private key (works, but warns; prefer privateKeyFile).', format: String, default: '', sensitive: true, env: 'REGO_BROKER_TUNNEL_PRIVATE_KEY' },
      localAddress: { doc: 'Tunnel address of the broker; derived from deploymentId when empty.', format: String, default: '', env: 'REGO_BROKER_TUNNEL_LOCAL_ADDRESS' },
      deploymentId: { doc: 'Deployment id the tunnel address is derived from.', format: 'int', default: null, nullable: true, env: 'REGO_BROKER_TUNNEL_DEPLOYMENT_ID' },
      replica: { doc: 'This replica\'s index, 0..65534, or "ordinal": the number after the last "-" of the host name (a StatefulSet pod). Picks the derived address; a label on records, spans and metrics.', format: 'replica', default: 0, env: 'REGO_BROKER_TUNNEL_REPLICA' },
      mtu: { doc: 'MTU of the tunnel interface.', format: 'nat', default: 1320, env: 'REGO_BROKER_TUNNEL_MTU' },
      peers: { doc: 'Peers: [{publicKey, endpoint, allowedIps, persistentKeepalive}].', format: 'json-list', default: [], env: 'REGO_BROKER_TUNNEL_PEERS' },
      heartbeat: {
        url: { doc: 'URL fetched through the tunnel to prove it works; empty = no heartbeat.', format: String, default: '', env: 'REGO_BROKER_TUNNEL_HEARTBEAT_URL' },
        intervalSeconds: { doc: 'Seconds between heartbeats.', format: 'nat', default: 30, env: 'REGO_BROKER_TUNNEL_HEARTBEAT_INTERVAL_SECONDS' },
        timeoutSeconds: { doc: 'Seconds one heartbeat may take.', format: 'nat', default: 10, env: 'REGO_BROKER_TUNNEL_HEARTBEAT_TIMEOUT_SECONDS' },
        graceSeconds: { doc: 'Seconds past an interval before /readyz reports not ready.', format: 'nat', default: 15, env: 'REGO_BROKER_TUNNEL_HEARTBEAT_GRACE_SECONDS' },
        failuresBeforeReresolve: { doc: 'Consecutive failures before peer endpoints are re-resolved.', format: 'nat', default: 3, env: 'REGO_BROKER_TUNNEL_HEARTBEAT_FAILURES_BEFORE_RERESOLVE' },
        requiredAtStart: { doc: 'Refuse to start unless the first heartbeat succeeds.', format: Boolean, default: false, env: 'REGO_BROKER_TUNNEL_HEARTBEAT_REQUIRED_AT_START' },
      },
      wireguardGo: { doc: 'The userspace WireGuard program, used without the kernel module.', format: String, default: 'wireguard-go', env: 'REGO_BROKER_TUNNEL_WIREGUARD_GO' },
      wg: { doc: 'The wg tool.', format: String, default: 'wg', env: 'REGO_BROKER_TUNNEL_WG' },
      transport: { doc: 'udp, tcp (WireGuard over the TLS carrier on 443) or auto (UDP first, the carrier when UDP fails).', format: ['auto', 'udp', 'tcp'], default: 'udp', env: 'REGO_BROKER_TUNNEL_TRANSPORT' },
      carrier: {
        pinSha256: { doc: 'SHA-256 fingerprints of the hub carrier certificate (hex); this or caFile is required for tcp and auto.', format: 'json-list', default: [], env: 'REGO_BROKER_TUNNEL_CARRIER_PIN_SHA256' },
        caFile: { doc: 'Private CA (PEM) that issued the hub carrier certificate.', format: String, default: '', env: 'REGO_BROKER_TUNNEL_CARRIER_CA_FILE' },
        switchAfterSeconds: { doc: 'auto: seconds without a handshake or heartbeat over UDP before switching to the carrier.', format: 'nat', default: 15, env: 'REGO_BROKER_TUNNEL_CARRIER_SWITCH_AFTER_SECONDS' },
        probeIntervalSeconds: { doc: 'auto: seconds between UDP probes while on the carrier.', format: 'nat', default: 60, env: 'REGO_BROKER_TUNNEL_CARRIER_PROBE_INTERVAL_SECONDS' },
        connectTimeoutSeconds: { doc: 'Seconds to open the carrier (proxy, TLS, WebSocket).', format: 'nat', default: 10, env: 'REGO_BROKER_TUNNEL_CARRIER_CONNECT_TIMEOUT_SECONDS' },
      },
      proxy: proxySchema('tunnel.proxy', 'REGO_BROKER_TUNNEL_PROXY', 'for the tunnel carrier'),
    },
    policy: {
      bundle: { doc: 'Policy bundle (.tar.gz built by `npm run build`).', format: String, default: defaultBundle, env: 'REGO_BROKER_POLICY_BUNDLE' },
      dryRun: { doc: 'Log denies but let requests through (enforcement off; never in production).', format: Boolean, default: false, env: 'REGO_BROKER_POLICY_DRY_RUN' },
      maxBodyBytes: { doc: 'Largest request body accepted; larger ones get 413.', format: 'nat', default: 1048576, env: 'REGO_BROKER_POLICY_MAX_BODY_BYTES' },
      maxMemoryPages: { doc: 'Upper bound of the policy WASM memory, in 64 KiB pages.', format: 'nat', default: 1024, env: 'REGO_BROKER_POLICY_MAX_MEMORY_PAGES' },
      evalTimeoutMs: { doc: 'Deadline of one policy evaluation in ms; past it the request is denied.', format: 'nat', default: 1000, env: 'REGO_BROKER_POLICY_EVAL_TIMEOUT_MS' },
      limits: {
        depth: { doc: 'Deepest nesting of a JSON request body.', format: 'nat', default: 32, env: 'REGO_BROKER_POLICY_LIMITS_DEPTH' },
        keysPerObject: { doc: 'Most keys in one JSON object of a request body.', format: 'nat', default: 1000, env: 'REGO_BROKER_POLICY_LIMITS_KEYS_PER_OBJECT' },
        nodes: { doc: 'Most values in a JSON request body.', format: 'nat', default: 10000, env: 'REGO_BROKER_POLICY_LIMITS_NODES' },
        stringBytes: { doc: 'Longest string in a JSON body, query parameter or header, in bytes.', format: 'nat', default: 262144, env: 'REGO_BROKER_POLICY_LIMITS_STRING_BYTES' },
        queryParams: { doc: 'Most query parameters of a request.', format: 'nat', default: 64, env: 'REGO_BROKER_POLICY_LIMITS_QUERY_PARAMS' },
        headers: { doc: 'Most headers of a request.', format: 'nat', default: 64, env: 'REGO_BROKER_POLICY_LIMITS_HEADERS' },
      },
      graphql: {
        maxTokens: { doc: 'Most lexical tokens of a GraphQL document.', format: 'nat', default: 5000, env: 'REGO_BROKER_POLICY_GRAPHQL_MAX_TOKENS' },
        maxDepth: { doc: 'Deepest field selection of a GraphQL document.', format: 'nat', default: 15, env: 'REGO_BROKER_POLICY_GRAPHQL_MAX_DEPTH' },
        maxNodes: { doc: 'Most field selections of a GraphQL document, fragments expanded.', format: 'nat', default: 1000, env: 'REGO_BROKER_POLICY_GRAPHQL_MAX_NODES' },
      },
      onLoadFailure: { doc: 'A bundle that cannot be loaded at start: "exit" (code 2, with the reason) or "deny" every request until a reload succeeds.', format: ['exit', 'deny'], default: 'exit', env: 'REGO_BROKER_POLICY_ON_LOAD_FAILURE' },
      watch: { doc: 'Reload the bundle when its file changes (SIGHUP always reloads).', format: Boolean, default: true, env: 'REGO_BROKER_POLICY_WATCH' },
      signing: {
        keys: { doc: 'Keys bundles are signed with: [{id, algorithm (RS256|ES256|HS256|…), keyFile|keyEnv}].', format: 'json-list', default: [], env: 'REGO_BROKER_POLICY_SIGNING_KEYS' },
        required: { doc: 'Refuse unsigned bundles (default: true when keys are configured).', format: Boolean, default: null, nullable: true, env: 'REGO_BROKER_POLICY_SIGNING_REQUIRED' },
        scope: { doc: 'Required scope of the bundle signature (empty = any).', format: String, default: '', env: 'REGO_BROKER_POLICY_SIGNING_SCOPE' },
      },
      service: {
        url: { doc: 'OPA bundle service URL of the bundle, polled with If-None-Match (empty = load policy.bundle).', format: String, default: '', env: 'REGO_BROKER_POLICY_SERVICE_URL' },
        pollSeconds: { doc: 'Seconds between polls of the bundle service.', format: 'nat', default: 60, env: 'REGO_BROKER_POLICY_SERVICE_POLL_SECONDS' },
        timeoutMs: { doc: 'Time one bundle download may take, ms.', format: 'nat', default: 30000, env: 'REGO_BROKER_POLICY_SERVICE_TIMEOUT_MS' },
        tokenEnv: { doc: 'Environment variable holding the bearer token for the bundle service.', format: String, default: '', env: 'REGO_BROKER_POLICY_SERVICE_TOKEN_ENV' },
        tokenFile: { doc: 'File holding the bearer token for the bundle service.', format: String, default: '', env: 'REGO_BROKER_POLICY_SERVICE_TOKEN_FILE' },
      },
    },
    proxy: {
      timeoutMs: { doc: 'Milliseconds to wait for the upstream to connect and answer.', format: 'nat', default: 30000, env: 'REGO_BROKER_PROXY_TIMEOUT_MS' },
      idleTimeoutMs: { doc: 'Milliseconds a proxied exchange may stay silent.', format: 'nat', default: 60000, env: 'REGO_BROKER_PROXY_IDLE_TIMEOUT_MS' },
      caFile: { doc: 'Extra CA certificates (PEM) trusted for upstreams.', format: String, default: '', env: 'REGO_BROKER_PROXY_CA_FILE' },
      maxSockets: { doc: 'Keep-alive sockets per upstream.', format: 'nat', default: 64, env: 'REGO_BROKER_PROXY_MAX_SOCKETS' },
      maxResponseSeconds: { doc: 'Longest a proxied exchange may take in total, response body included (0 = no bound).', format: 'nat', default: 0, env: 'REGO_BROKER_PROXY_MAX_RESPONSE_SECONDS' },
      upstreamProxy: proxySchema('proxy.upstreamProxy', 'REGO_BROKER_PROXY_UPSTREAM_PROXY', 'for upstream requests'),
    },
    integrations: {
      doc: 'Integrations: [{name, type, baseUrl, auth: {scheme, tokenEnv|tokenFile, username, header}, surfaces, allowCodeAccess, …}].',
      format: 'json-list',
      default: [],
      env: 'REGO_BROKER_INTEGRATIONS',
    },
    relay: {
      host: { doc: 'Address of the relay listener (internal network side, never the tunnel address).', format: String, default: '127.0.0.1', env: 'REGO_BROKER_RELAY_HOST' },
      port: { doc: 'Port of the relay listener (0 = any free port); it runs only when relays are configured.', format: PORT, default: 8081, env: 'REGO_BROKER_RELAY_PORT' },
      signingKeyEnv: { doc: 'Environment variable holding the key the relayed bodies are signed with (shared with the SaaS).', format: String, default: '', env: 'REGO_BROKER_RELAY_SIGNING_KEY_ENV' },
      signingKeyFile: { doc: 'File holding the key the relayed bodies are signed with (shared with the SaaS).', format: String, default: '', env: 'REGO_BROKER_RELAY_SIGNING_KEY_FILE' },
      maxBodyBytes: { doc: 'Largest webhook body accepted; larger ones get 413.', format: 'nat', default: 5242880, env: 'REGO_BROKER_RELAY_MAX_BODY_BYTES' },
      queue: {
        dir: { doc: 'Directory of the durable relay queue (pending and dead-letter entries).', format: String, default: 'relay-queue', env: 'REGO_BROKER_RELAY_QUEUE_DIR' },
        maxBytes: { doc: 'Most bytes of webhooks waiting for delivery; past it webhooks get 503.', format: 'nat', default: 268435456, env: 'REGO_BROKER_RELAY_QUEUE_MAX_BYTES' },
        maxCount: { doc: 'Most webhooks waiting for delivery; past it webhooks get 503.', format: 'nat', default: 10000, env: 'REGO_BROKER_RELAY_QUEUE_MAX_COUNT' },
      },
      delivery: {
        maxAttempts: { doc: 'Delivery attempts before a webhook moves to the dead-letter directory.', format: 'nat', default: 12, env: 'REGO_BROKER_RELAY_DELIVERY_MAX_ATTEMPTS' },
        initialBackoffMs: { doc: 'Wait after the first failed attempt, ms; doubled after each.', format: 'nat', default: 1000, env: 'REGO_BROKER_RELAY_DELIVERY_INITIAL_BACKOFF_MS' },
        maxBackoffMs: { doc: 'Longest wait between attempts, ms.', format: 'nat', default: 300000, env: 'REGO_BROKER_RELAY_DELIVERY_MAX_BACKOFF_MS' },
        timeoutMs: { doc: 'Time one delivery attempt may take, ms.', format: 'nat', default: 10000, env: 'REGO_BROKER_RELAY_DELIVERY_TIMEOUT_MS' },
      },
    },
    relays: {
      doc: 'Relays: [{name, integration, destination, secretEnv|secretFile, username, header, minimize, removeFields, flags}].',
      format: 'json-list',
      default: [],
      env: 'REGO_BROKER_RELAYS',
    },
    telemetry: {
      serviceName: { doc: 'OpenTelemetry service name.', format: String, default: 'rego-broker', env: 'REGO_BROKER_TELEMETRY_SERVICE_NAME' },
      traces: {
        exporter: { doc: 'Span exporter.', format: ['otlp', 'console', 'none'], default: 'none', env: 'REGO_BROKER_TELEMETRY_TRACES_EXPORTER' },
        endpoint: { doc: 'OTLP http/protobuf traces endpoint (empty = the OTEL_* variables or the SDK default).', format: String, default: '', env: 'REGO_BROKER_TELEMETRY_TRACES_ENDPOINT' },
      },
      decisionLog: {
        path: { doc: 'Decision log destination: "-" for stdout, or a file path.', format: String, default: '-', env: 'REGO_BROKER_TELEMETRY_DECISION_LOG_PATH' },
        maxBodyBytes: { doc: 'Most bytes of the masked request body kept in a record.', format: 'nat', default: 4096, env: 'REGO_BROKER_TELEMETRY_DECISION_LOG_MAX_BODY_BYTES' },
        maxFileBytes: { doc: 'Size at which the decision log file is rotated (0 = never).', format: 'nat', default: 104857600, env: 'REGO_BROKER_TELEMETRY_DECISION_LOG_MAX_FILE_BYTES' },
        maxFiles: { doc: 'Rotated decision log files kept.', format: 'nat', default: 5, env: 'REGO_BROKER_TELEMETRY_DECISION_LOG_MAX_FILES' },
        onFailure: { doc: 'When records cannot be written fast enough or at all: "refuse" new requests (503 DECISION_LOG_UNAVAILABLE, fail closed) or "serve" them and count every record lost.', format: ['refuse', 'serve'], default: 'refuse', env: 'REGO_BROKER_TELEMETRY_DECISION_LOG_ON_FAILURE' },
        bufferBytes: { doc: 'Most bytes of records held in memory waiting to be written.', format: 'nat', default: 8388608, env: 'REGO_BROKER_TELEMETRY_DECISION_LOG_BUFFER_BYTES' },
        maxPendingRecords: { doc: 'Most answered requests whose record is still being built (masked) before new requests are refused.', format: 'nat', default: 4096, env: 'REGO_BROKER_TELEMETRY_DECISION_LOG_MAX_PENDING_RECORDS' },
      },
      decisionService: {
        url: { doc: 'OPA-compatible decision-log service that records are also shipped to (gzip JSON batches); empty = none.', format: String, default: '', env: 'REGO_BROKER_TELEMETRY_DECISION_SERVICE_URL' },
        tokenEnv: { doc: 'Environment variable holding the bearer token for the decision-log service.', format: String, default: '', env: 'REGO_BROKER_TELEMETRY_DECISION_SERVICE_TOKEN_ENV' },
        tokenFile: { doc: 'File holding the bearer token for the decision-log service.', format: String, default: '', env: 'REGO_BROKER_TELEMETRY_DECISION_SERVICE_TOKEN_FILE' },
        bufferBytes: { doc: 'Most bytes of records held for shipping; beyond, records are dropped and counted.', format: 'nat', default: 4194304, env: 'REGO_BROKER_TELEMETRY_DECISION_SERVICE_BUFFER_BYTES' },
        flushSeconds: { doc: 'Seconds between batches.', format: 'nat', default: 5, env: 'REGO_BROKER_TELEMETRY_DECISION_SERVICE_FLUSH_SECONDS' },
        timeoutSeconds: { doc: 'Seconds one batch may take.', format: 'nat', default: 10, env: 'REGO_BROKER_TELEMETRY_DECISION_SERVICE_TIMEOUT_SECONDS' },
      },
      logLevel: { doc: 'Level of the operational log (stderr).', format: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', env: 'REGO_BROKER_TELEMETRY_LOG_LEVEL' },
    },
    shutdown: {
      graceSeconds: { doc: 'Seconds in-flight requests get to finish on SIGTERM.', format: 'nat', default: 20, env: 'REGO_BROKER_SHUTDOWN_GRACE_SECONDS' },
      flushSeconds: { doc: 'Seconds the decision log, and then the spans, each get to be written after the drain.', format: 'nat', default: 5, env: 'REGO_BROKER_SHUTDOWN_FLUSH_SECONDS' },
    },
  };
}
