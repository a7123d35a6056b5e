/**
 * The typed, validated configuration. `load.ts` builds it once at start and deep-freezes it;
 * everything else receives the parts it needs as arguments.
 */

/** How the integration's credential is added to proxied requests. */
export type AuthScheme = 'bearer' | 'token' | 'basic' | 'header' | 'passthrough';

/** Where a secret comes from; the value itself is read by `secrets.ts`, never stored here. */
export interface SecretRef {
  /** Environment variable that holds the secret. */
  env: string | null;
  /** File that holds the secret (trailing newline trimmed). */
  file: string | null;
  /** A literal secret from the config file (works, but warns). */
  literal: string | null;
}

export interface AuthConfig {
  scheme: AuthScheme;
  token: SecretRef;
  /** For `basic`: the user name (the token is the password). */
  username: string | null;
  /** For `header`: the header that carries the token. */
  header: string | null;
}

export interface IntegrationConfig {
  name: string;
  type: string;
  baseUrl: string;
  auth: AuthConfig;
  /** Surface name → base URL; defaults derived from `baseUrl` and the type, then overrides. */
  surfaces: Record<string, string>;
  /** Flags the policy sees as `integration.flags`, snake_case. */
  flags: Record<string, boolean | string[]>;
  /** Request headers forwarded besides the common and per-type allowlists (lower-case). */
  forwardHeaders: string[];
}

export interface ListenConfig {
  host: string;
  port: number;
}

export interface PeerConfig {
  publicKey: string;
  /** host:port; the host may be a DNS name, re-resolved by the heartbeat. */
  endpoint: string;
  allowedIps: string[];
  persistentKeepalive: number;
}

export interface HeartbeatConfig {
  /** URL fetched through the tunnel; empty disables the heartbeat. */
  url: string;
  intervalSeconds: number;
  timeoutSeconds: number;
  /** Extra time after an interval before readiness is lost. */
  graceSeconds: number;
  /** Consecutive failures before the peer endpoints are re-resolved and re-applied. */
  failuresBeforeReresolve: number;
  /** Start fails (exit 2) unless the first heartbeat succeeds. */
  requiredAtStart: boolean;
}

export interface TunnelConfig {
  enabled: boolean;
  interface: string;
  privateKey: SecretRef;
  /** Derived from `deploymentId` when not set explicitly. */
  localAddress: string;
  deploymentId: number | null;
  mtu: number;
  peers: PeerConfig[];
  heartbeat: HeartbeatConfig;
  /** Path or name of the userspace implementation. */
  wireguardGo: string;
  /** Path or name of the `wg` tool. */
  wg: string;
}

/** Bounds on what a request may hold before it is turned into an input document. */
export interface InputLimits {
  /** Deepest nesting of a JSON body (objects and arrays). */
  depth: number;
  /** Most keys in one JSON object. */
  keysPerObject: number;
  /** Most values (objects, arrays, scalars) in a JSON body. */
  nodes: number;
  /** Longest string (or object key) in a JSON body, query or header, in bytes. */
  stringBytes: number;
  /** Most query parameters. */
  queryParams: number;
  /** Most request headers. */
  headers: number;
}

/** Bounds on a GraphQL document, checked after parsing with graphql-js. */
export interface GraphqlLimits {
  /** Most lexical tokens (graphql-js `maxTokens`). */
  maxTokens: number;
  /** Deepest field selection. */
  maxDepth: number;
  /** Most field selections once fragments are expanded. */
  maxNodes: number;
}

export interface PolicyConfig {
  bundle: string;
  dryRun: boolean;
  maxBodyBytes: number;
  /** Upper bound of WASM memory, in 64 KiB pages. */
  maxMemoryPages: number;
  /** Deadline of one evaluation, ms; past it the request is denied (POLICY_TIMEOUT). */
  evalTimeoutMs: number;
  limits: InputLimits;
  graphql: GraphqlLimits;
  /** A bundle that cannot be loaded at start: exit 2 (`exit`), or deny every request until a reload succeeds (`deny`). */
  onLoadFailure: 'exit' | 'deny';
  /** Reload when the bundle file changes (besides SIGHUP). */
  watch: boolean;
  signing: PolicySigningConfig;
  /** An OPA bundle service polled for the bundle instead of the file watch; `url` empty = none. */
  service: BundleServiceConfig;
}

/** A key policy bundles are signed with (OPA's `.signatures.json`). */
export interface SigningKeyConfig {
  /** Key id: the signature's `keyid` (or JWS `kid`) that selects this key. */
  id: string;
  algorithm: 'RS256' | 'RS384' | 'RS512' | 'PS256' | 'ES256' | 'ES384' | 'ES512' | 'HS256' | 'HS384' | 'HS512';
  /** PEM public key (RS/PS/ES) or the shared secret (HS), by reference. */
  key: SecretRef;
}

export interface PolicySigningConfig {
  keys: SigningKeyConfig[];
  /** Refuse unsigned bundles; true whenever keys are configured unless set to false. */
  required: boolean;
  /** When set, the signature's `scope` must equal it. */
  scope: string;
}

export interface BundleServiceConfig {
  /** URL of the bundle (as OPA's bundle plugin: service URL + resource); empty = no service. */
  url: string;
  /** Seconds between polls (conditional GETs with If-None-Match). */
  pollSeconds: number;
  /** Time one download may take, ms. */
  timeoutMs: number;
  /** Bearer token for the service, by reference; all null = no credential. */
  token: SecretRef;
}

export interface ProxyConfig {
  /** Time to connect and receive response headers, ms. */
  timeoutMs: number;
  /** Idle socket timeout on the upstream connection, ms. */
  idleTimeoutMs: number;
  /** Extra CA bundle file for private upstreams, or empty. */
  caFile: string;
  maxSockets: number;
}

export interface DecisionLogConfig {
  /** "-" for stdout, or a file. */
  path: string;
  /** Most bytes of the masked request body kept in a record (the rest is cut, with its sha256). */
  maxBodyBytes: number;
  /** Size at which the log file is rotated (0 = never); not for stdout. */
  maxFileBytes: number;
  /** Rotated files kept (path.1 … path.N). */
  maxFiles: number;
}

export interface TelemetryConfig {
  serviceName: string;
  traces: { exporter: 'otlp' | 'console' | 'none'; endpoint: string };
  decisionLog: DecisionLogConfig;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface BrokerConfig {
  listen: ListenConfig;
  admin: ListenConfig;
  tunnel: TunnelConfig;
  policy: PolicyConfig;
  proxy: ProxyConfig;
  integrations: IntegrationConfig[];
  telemetry: TelemetryConfig;
  shutdown: { graceSeconds: number };
}
