/**
 * The typed, validated configuration. `load.ts` builds it once at start and deep-freezes it;
 * everything else receives the parts it needs as arguments.
 */
// The tunnel owns its types; the broker's configuration maps onto them.
import type { CarrierConfig, HeartbeatConfig as TunnelHeartbeatConfig, PeerConfig, ProxySettings, Transport } from '../../../tunnel/src/index';

export type { CarrierConfig, PeerConfig, Transport };

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

export interface HeartbeatConfig extends TunnelHeartbeatConfig {
  /** Start fails (exit 2) unless the first heartbeat succeeds. */
  requiredAtStart: boolean;
}

/** An HTTP proxy (CONNECT for TLS); its password is a secret reference. */
export interface ProxyRef extends ProxySettings {
  /** Password of `username`: an environment variable or a file (`passwordEnv`/`passwordFile`). */
  password: SecretRef | null;
  /** True when the password is the user-info of the URL held in `password.env` (`HTTPS_PROXY`). */
  passwordInUrl: boolean;
}

export interface TunnelConfig {
  enabled: boolean;
  interface: string;
  privateKey: SecretRef;
  /** Derived from `deploymentId` and `replica` when not set explicitly. */
  localAddress: string;
  deploymentId: number | null;
  /** This replica's index, 0..65534 (`tunnel.replica`, `ordinal` already resolved from the host name). */
  replica: number;
  mtu: number;
  peers: PeerConfig[];
  heartbeat: HeartbeatConfig;
  /** Path or name of the userspace implementation. */
  wireguardGo: string;
  /** Path or name of the `wg` tool. */
  wg: string;
  /** `udp`, `tcp` (the TLS carrier) or `auto` (UDP first, the carrier when UDP fails). */
  transport: Transport;
  /** The TLS carrier: hub pins or private CA, switch and probe timing. */
  carrier: CarrierConfig;
  /** CONNECT proxy for the carrier (`tunnel.proxy`, else `HTTPS_PROXY`), or null. */
  proxy: ProxyRef | null;
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
  /** Proxy for upstream requests (`proxy.upstreamProxy`), honouring `noProxy`, or null. */
  upstreamProxy: ProxyRef | null;
  /** Longest a proxied exchange may take, response body included, in seconds (0 = no bound). */
  maxResponseSeconds: number;
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
  /** Full buffer or failing sink: refuse new requests (fail closed) or serve them and count the loss. */
  onFailure: 'refuse' | 'serve';
  /** Most bytes of serialized records held in memory waiting for the sink. */
  bufferBytes: number;
  /** Most records still being built (masked) before new requests are refused. */
  maxPendingRecords: number;
}

/** An OPA-compatible decision-log service records are also shipped to; `url` empty = none. */
export interface DecisionServiceConfig {
  url: string;
  /** Bearer token, by reference; all null = none. */
  token: SecretRef;
  /** Most bytes of records held for shipping; beyond, records are dropped and counted. */
  bufferBytes: number;
  flushSeconds: number;
  timeoutSeconds: number;
}

/** The relay listener and its durable queue (outbound webhooks). */
export interface RelayListenerConfig {
  host: string;
  port: number;
  /** Key the relayed bodies are signed with (X-Rego-Broker-Signature); a reference only. */
  signingKey: SecretRef;
  /** Largest webhook body accepted (413 past it). */
  maxBodyBytes: number;
  queue: {
    /** Directory holding `<relay>/pending` and `<relay>/dead`. */
    dir: string;
    /** Bound on the bytes waiting for delivery (503 past it). */
    maxBytes: number;
    /** Bound on the webhooks waiting for delivery (503 past it). */
    maxCount: number;
  };
  delivery: {
    /** Attempts before a webhook is dead-lettered. */
    maxAttempts: number;
    /** Wait after the first failure, doubled after each, capped at `maxBackoffMs`. */
    initialBackoffMs: number;
    maxBackoffMs: number;
    /** Time one attempt may take. */
    timeoutMs: number;
  };
}

/** How a relay checks that a webhook came from its SCM. */
export type RelayAuth =
  /** GitHub `X-Hub-Signature-256`, Bitbucket Data Center `X-Hub-Signature`: HMAC-SHA256 of the body. */
  | { kind: 'hmac-sha256'; header: string }
  /** GitLab `X-Gitlab-Token`, or an Azure DevOps custom header: the shared secret itself. */
  | { kind: 'token'; header: string }
  /** Azure DevOps basic authentication: the secret is the password of `username`. */
  | { kind: 'basic'; username: string };

/** One relay: webhooks from an integration's SCM, out to a SaaS destination. */
export interface RelayConfig {
  name: string;
  /** The integration the webhooks come from; its type decides how events are read. */
  integration: string;
  type: string;
  /** The SaaS URL the webhooks are delivered to, through the tunnel. */
  destination: string;
  /** The SCM's webhook secret; a reference only. */
  secret: SecretRef;
  auth: RelayAuth;
  /** Remove the type's default personal fields (commit messages, authors, diff URLs). */
  minimize: boolean;
  /** More fields to remove, as dot paths (`*` for every element or key). */
  removeFields: string[];
  /** Flags the outbound policy sees as `relay.flags`, snake_case. */
  flags: Record<string, boolean | string[]>;
}

export interface TelemetryConfig {
  serviceName: string;
  traces: { exporter: 'otlp' | 'console' | 'none'; endpoint: string };
  decisionLog: DecisionLogConfig;
  decisionService: DecisionServiceConfig;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface BrokerConfig {
  listen: ListenConfig;
  admin: ListenConfig;
  tunnel: TunnelConfig;
  policy: PolicyConfig;
  proxy: ProxyConfig;
  integrations: IntegrationConfig[];
  relay: RelayListenerConfig;
  relays: RelayConfig[];
  telemetry: TelemetryConfig;
  shutdown: ShutdownConfig;
}

export interface ShutdownConfig {
  /** Seconds in-flight requests get to finish. */
  graceSeconds: number;
  /** Seconds the decision log, then the spans, each get to be written after the drain. */
  flushSeconds: number;
}
