/** The hub package: the reference SaaS side of the tunnel (`rego-broker hub`). */
export { startHub } from './hub';
export type { BoundAddress, Hub, HubAddresses, ReloadOutcome, ReplicaStatus, StartHubOptions } from './hub';
export { dumpHubConfig, loadHubConfig, parseHubConfig, readHubSecret } from './config';
export type { Env, HubLoadOptions, HubLoadResult } from './config';
export { HubConfigError, HubErrorCode, HUB_ERRORS, hubErrorBody } from './errors';
export type { HubErrorBody } from './errors';
export { createHubLogger } from './logger';
export type { HubLogger } from './logger';
export { HEARTBEAT_HEADERS, parseClaims } from './heartbeat';
export type { HeartbeatClaims } from './heartbeat';
export { REPLICA_HEADER, forwardHeaders } from './front';
export { replicaHealth } from './health';
export type { Health, HealthFacts, HealthRules, UnhealthyReason } from './health';
export { EMPTY_HISTORY, inConflict, observeInstance } from './duplicates';
export type { InstanceHistory, Observation } from './duplicates';
export { marksDown, mayRetry } from './retry';
export type { AttemptFailure } from './retry';
export { listenerChanges } from './reload';
export { allowedIp, diffPeers, peerRoutes, startHubWireguard } from './wireguard';
export type { HubPeer, HubWireguard, HubWireguardOptions, PeerDiff } from './wireguard';
export type {
  CarrierSettings, DeploymentConfig, FrontSettings, HeartbeatSettings, HubConfig, ListenAddress, LogSettings, ReplicaConfig,
  SecretRef, WireguardSettings,
} from './types';
