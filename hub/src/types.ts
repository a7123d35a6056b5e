/** The hub's validated configuration (deep-frozen by `loadHubConfig`). */

/** A secret by reference: the name of an environment variable or a file; never the value. */
export interface SecretRef {
  /** Environment variable holding the secret, or null. */
  readonly env: string | null;
  /** File holding the secret, or null. */
  readonly file: string | null;
}

/** An address and port to listen on. */
export interface ListenAddress {
  /** IP address (or host name) to bind. */
  readonly host: string;
  /** Port; 0 = any free port. */
  readonly port: number;
}

/** The hub's WireGuard interface. */
export interface WireguardSettings {
  /** False when the interface is managed elsewhere; health then comes from heartbeats alone. */
  readonly enabled: boolean;
  /** Interface name (at most 15 characters). */
  readonly interface: string;
  /** The hub's private key, by reference. */
  readonly privateKey: SecretRef;
  /** UDP port brokers dial. */
  readonly listenPort: number;
  /** The hub's own tunnel address (IPv6, canonical), added as a /128. */
  readonly address: string;
  /** Link MTU. */
  readonly mtu: number;
  /** Path or name of `wireguard-go`. */
  readonly wireguardGo: string;
  /** Path or name of `wg`. */
  readonly wg: string;
}

/** The optional TLS carrier for brokers behind UDP-blocking firewalls. */
export interface CarrierSettings extends ListenAddress {
  /** Run the carrier. */
  readonly enabled: boolean;
  /** PEM certificate chain. */
  readonly certFile: string;
  /** PEM private key (a secret by reference: a file). */
  readonly keyFile: string;
}

/** The heartbeat listener and how heartbeats are judged. */
export interface HeartbeatSettings extends ListenAddress {
  /** A replica without a heartbeat for this long is unhealthy. */
  readonly staleAfterSeconds: number;
  /** Instance ids flipping back within this window mean two processes share one identity. */
  readonly duplicateWindowSeconds: number;
}

/** The HTTP front for the SaaS's own services. */
export interface FrontSettings extends ListenAddress {
  /** The replicas' tunnel listener port. */
  readonly brokerPort: number;
  /** Time to establish a connection to a replica. */
  readonly connectTimeoutMs: number;
  /** Time for a replica to start its answer once the request is sent. */
  readonly responseTimeoutMs: number;
  /** Largest request body accepted (it is buffered so that it can be sent again). */
  readonly maxBodyBytes: number;
  /** On shutdown, how long requests in flight get to finish. */
  readonly drainTimeoutMs: number;
  /**
   * Reuse connections to replicas. Off by default: a new connection to a vanished replica fails
   * to connect and the request goes elsewhere, while one written onto a kept-alive connection
   * can only fail (502) once the replica turns stale.
   */
  readonly keepAlive: boolean;
}

/** One broker replica as registered by the vendor. */
export interface ReplicaConfig {
  /** Replica index, 0..65534. */
  readonly index: number;
  /** The replica's WireGuard public key (base64). */
  readonly publicKey: string;
  /** Its tunnel address, canonical: the configured override or the derived one. */
  readonly address: string;
}

/** One customer deployment. */
export interface DeploymentConfig {
  /** Deployment id, 1..65535. */
  readonly id: number;
  /** A name for logs, or null. */
  readonly name: string | null;
  /** Its replicas, in configuration order. */
  readonly replicas: readonly ReplicaConfig[];
}

/** Log settings. */
export interface LogSettings {
  /** pino level. */
  readonly level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** The hub's whole configuration. */
export interface HubConfig {
  readonly wireguard: WireguardSettings;
  readonly carrier: CarrierSettings;
  /** `host` is resolved (the hub's tunnel address when not set). */
  readonly heartbeat: HeartbeatSettings;
  readonly front: FrontSettings;
  /** /healthz, /readyz, /metrics. */
  readonly admin: ListenAddress;
  readonly log: LogSettings;
  readonly deployments: readonly DeploymentConfig[];
}
