/**
 * The one module that reads the hub's configuration: files (YAML or JSON, layered in order)
 * and the environment (passed in by the CLI, never read from `process.env`). It validates
 * everything once, rejects unknown keys naming the key and the file, rejects two replicas that
 * share an identity naming both entries, and returns a deep-frozen `HubConfig`.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isIP, isIPv6 } from 'node:net';
import convict from 'convict';
import { parse as parseYaml } from 'yaml';
import { MAX_REPLICA, addressFromDeploymentId, canonicalIPv6, isValidKey } from '../../tunnel/src/index';
import { HubConfigError } from './errors';
import { HUB_FORMATS, hubSchema } from './schema';
import type { RawHubConfig } from './schema';
import type { DeploymentConfig, HubConfig, ListenAddress, ReplicaConfig, SecretRef } from './types';

/** The process environment, handed over by the CLI. */
export type Env = Readonly<Record<string, string | undefined>>;

/** What `loadHubConfig` needs. */
export interface HubLoadOptions {
  /** Config files; later ones override earlier ones key by key (a list is replaced whole). */
  files: readonly string[];
  /** The environment: `REGO_BROKER_HUB_*` overrides. */
  env: Env;
}

/** A valid configuration and what deserves attention in it. */
export interface HubLoadResult {
  config: HubConfig;
  warnings: string[];
}

/** Load, validate and freeze. Throws `HubConfigError` (exit 2) naming the key and the file. */
export function loadHubConfig(options: HubLoadOptions): HubLoadResult {
  if (options.files.length === 0) throw new HubConfigError('missing -c FILE (a configuration file is required)');
  const trees = options.files.map((file) => ({ file, tree: readTree(file) }));
  const schema = hubSchema();
  for (const { file, tree } of trees) checkUnknown(tree, schema, [], file);
  convict.addFormats(HUB_FORMATS);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined && k.startsWith('REGO_BROKER_HUB_')) env[k] = v;
  let raw: RawHubConfig;
  try {
    const conf = convict<RawHubConfig>(schema, { env, args: [] });
    for (const { tree } of trees) conf.load(tree);
    conf.validate({ allowed: 'strict' });
    raw = conf.getProperties();
  } catch (err) {
    throw new HubConfigError(namingTheFile(`invalid configuration: ${(err as Error).message}`, trees));
  }
  const warnings: string[] = [];
  try {
    return { config: deepFreeze(parseHubConfig(raw, warnings)), warnings };
  } catch (err) {
    if (err instanceof HubConfigError) throw new HubConfigError(namingTheFile(err.message, trees));
    throw err;
  }
}

function readTree(file: string): Record<string, unknown> {
  const ext = extname(file).toLowerCase();
  if (!['.yml', '.yaml', '.json'].includes(ext)) throw new HubConfigError(`${file}: config files must end in .yaml, .yml or .json`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HubConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let tree: unknown;
  try {
    tree = ext === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new HubConfigError(`${file}: not valid ${ext === '.json' ? 'JSON' : 'YAML'} (${(err as Error).message.split('\n')[0] ?? ''})`);
  }
  if (tree === null || tree === undefined) return {};
  if (!isObject(tree)) throw new HubConfigError(`${file}: must hold a mapping of keys`);
  return tree;
}

/** Every key of a file must be in the schema; a leaf's value (such as a list) is checked by `parse`. */
function checkUnknown(tree: Record<string, unknown>, schema: Record<string, unknown>, path: string[], file: string): void {
  for (const [key, value] of Object.entries(tree)) {
    const node = schema[key];
    const here = [...path, key].join('.');
    if (!isObject(node)) throw new HubConfigError(`${file}: ${here}: unknown key`);
    if ('doc' in node) {
      // convict would merge a mapping into a list's default silently.
      if (Array.isArray(node.default) && !Array.isArray(value)) throw new HubConfigError(`${file}: ${here}: must be a list`);
      continue;
    }
    if (!isObject(value)) throw new HubConfigError(`${file}: ${here}: must be a mapping`);
    checkUnknown(value, node, [...path, key], file);
  }
}

/** Prefix a `<key path>: …` message with the last file that sets that key. */
function namingTheFile(message: string, trees: readonly { file: string; tree: Record<string, unknown> }[]): string {
  const m = /^(?:invalid configuration: )?([A-Za-z][\w.[\]]*):/.exec(message);
  const path = (m?.[1] ?? '').split(/[.[\]]+/).filter((s) => s !== '' && !/^\d+$/.test(s));
  if (path.length === 0) return message;
  for (const { file, tree } of [...trees].reverse()) {
    let node: unknown = tree;
    for (const key of path) {
      if (!isObject(node) || !(key in node)) {
        node = undefined;
        break;
      }
      node = node[key];
      if (Array.isArray(node)) break;
    }
    if (node !== undefined) return `${file}: ${message}`;
  }
  return message;
}

const INTERFACE_RE = /^[A-Za-z0-9_=+.-]{1,15}$/;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
const DEPLOYMENT_KEYS = new Set(['id', 'name', 'replicas']);
const REPLICA_KEYS = new Set(['index', 'publicKey', 'address']);

/** Turn the schema-checked tree into the typed configuration, rejecting contradictions. */
export function parseHubConfig(raw: RawHubConfig, warnings: string[] = []): HubConfig {
  const wg = raw.wireguard;
  if (!INTERFACE_RE.test(wg.interface)) throw new HubConfigError('wireguard.interface: 1 to 15 letters, digits or _=+.-');
  if (!isIPv6(wg.address)) throw new HubConfigError('wireguard.address: must be an IPv6 address without prefix length');
  const address = canonicalIPv6(wg.address);
  const privateKey: SecretRef = { env: wg.privateKeyEnv === '' ? null : wg.privateKeyEnv, file: wg.privateKeyFile === '' ? null : wg.privateKeyFile };
  if (privateKey.env !== null && privateKey.file !== null) throw new HubConfigError('wireguard: set only one of privateKeyEnv and privateKeyFile');
  if (wg.enabled) {
    if (privateKey.env === null && privateKey.file === null) throw new HubConfigError('wireguard: set one of privateKeyFile or privateKeyEnv (or wireguard.enabled: false)');
    if (wg.listenPort < 1) throw new HubConfigError('wireguard.listenPort: must be from 1 to 65535');
    if (wg.mtu < 1280 || wg.mtu > 1500) throw new HubConfigError('wireguard.mtu: must be between 1280 and 1500');
  } else if (privateKey.env !== null || privateKey.file !== null) {
    warnings.push('wireguard.privateKeyEnv/privateKeyFile: ignored while wireguard.enabled is false');
  }
  if (raw.carrier.enabled && (raw.carrier.certFile === '' || raw.carrier.keyFile === '')) {
    throw new HubConfigError('carrier: certFile and keyFile are required when carrier.enabled');
  }
  const heartbeatHost = raw.heartbeat.host === '' ? address : raw.heartbeat.host;
  if (wg.enabled && heartbeatHost !== address) {
    warnings.push('heartbeat.host: a source address proves a replica only over the WireGuard interface; bind the heartbeat listener to wireguard.address');
  }
  if (raw.front.brokerPort < 1) throw new HubConfigError('front.brokerPort: must be from 1 to 65535');
  checkListeners([
    ['front', raw.front],
    ['heartbeat', { host: heartbeatHost, port: raw.heartbeat.port }],
    ['admin', raw.admin],
    ...(raw.carrier.enabled ? [['carrier', raw.carrier] as [string, ListenAddress]] : []),
  ]);
  return {
    wireguard: { enabled: wg.enabled, interface: wg.interface, privateKey, listenPort: wg.listenPort, address, mtu: wg.mtu, wireguardGo: wg.wireguardGo, wg: wg.wg },
    carrier: { ...raw.carrier },
    heartbeat: { ...raw.heartbeat, host: heartbeatHost },
    front: { ...raw.front },
    admin: { ...raw.admin },
    log: { level: raw.log.level as HubConfig['log']['level'] },
    deployments: parseDeployments(raw.deployments, address),
  };
}

function checkListeners(listeners: readonly [string, ListenAddress][]): void {
  const seen = new Map<string, string>();
  for (const [name, l] of listeners) {
    if (l.port === 0) continue;
    const key = `${l.host}|${l.port}`;
    const other = seen.get(key);
    if (other !== undefined) throw new HubConfigError(`${name}.port: the ${name} listener cannot share ${other}.host:${other}.port`);
    seen.set(key, name);
  }
}

function parseDeployments(v: unknown, hubAddress: string): DeploymentConfig[] {
  if (!Array.isArray(v)) throw new HubConfigError('deployments: must be a list');
  const ids = new Map<number, string>();
  const keys = new Map<string, string>();
  const addresses = new Map<string, string>([[hubAddress, 'wireguard.address']]);
  return v.map((item: unknown, i): DeploymentConfig => {
    const where = `deployments[${i}]`;
    if (!isObject(item)) throw new HubConfigError(`${where}: must be a mapping with id and replicas`);
    checkKeys(item, DEPLOYMENT_KEYS, where);
    const id = integer(item.id, `${where}.id`, 1, 0xffff);
    const first = ids.get(id);
    if (first !== undefined) throw new HubConfigError(`${where}.id: deployment ${id} is already ${first}`);
    ids.set(id, where);
    let name: string | null = null;
    if (item.name !== undefined && item.name !== '') {
      if (typeof item.name !== 'string' || !NAME_RE.test(item.name)) throw new HubConfigError(`${where}.name: letters, digits, ., - and _ only`);
      name = item.name;
    }
    if (!Array.isArray(item.replicas) || item.replicas.length === 0) throw new HubConfigError(`${where}.replicas: a list of at least one replica`);
    const indexes = new Map<number, string>();
    const replicas = item.replicas.map((r: unknown, j): ReplicaConfig => {
      const at = `${where}.replicas[${j}]`;
      if (!isObject(r)) throw new HubConfigError(`${at}: must be a mapping with index and publicKey`);
      checkKeys(r, REPLICA_KEYS, at);
      const index = integer(r.index, `${at}.index`, 0, MAX_REPLICA);
      const dupIndex = indexes.get(index);
      if (dupIndex !== undefined) throw new HubConfigError(`${at}.index: replica ${index} of deployment ${id} is already ${dupIndex}`);
      indexes.set(index, at);
      if (typeof r.publicKey !== 'string' || !isValidKey(r.publicKey)) throw new HubConfigError(`${at}.publicKey: must be a WireGuard public key (base64 of 32 bytes)`);
      const dupKey = keys.get(r.publicKey);
      if (dupKey !== undefined) throw new HubConfigError(`${at}.publicKey: is the same key as ${dupKey}`);
      keys.set(r.publicKey, at);
      const address = replicaAddress(r.address, id, index, at);
      const dupAddress = addresses.get(address);
      if (dupAddress !== undefined) throw new HubConfigError(`${at}.address: ${address} is the same address as ${dupAddress}`);
      addresses.set(address, at);
      return { index, publicKey: r.publicKey, address };
    });
    return { id, name, replicas };
  });
}

function replicaAddress(v: unknown, id: number, index: number, at: string): string {
  if (v === undefined || v === '') return addressFromDeploymentId(id, index);
  if (typeof v !== 'string' || isIP(v) === 0) throw new HubConfigError(`${at}.address: must be an IP address without prefix length`);
  return isIPv6(v) ? canonicalIPv6(v) : v;
}

function integer(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new HubConfigError(`${where}: must be an integer from ${min} to ${max}`);
  return v;
}

function checkKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(obj)) if (!allowed.has(key)) throw new HubConfigError(`${where}.${key}: unknown key`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}

/**
 * Read a secret from its reference. Throws `HubConfigError` naming the key and the variable or
 * file, never the value.
 */
export function readHubSecret(ref: SecretRef, key: string, env: Env): string {
  let value: string | undefined;
  if (ref.env !== null) {
    value = env[ref.env];
    if (value === undefined || value === '') throw new HubConfigError(`${key}Env: environment variable ${ref.env} is not set`);
  } else if (ref.file !== null) {
    try {
      value = readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      throw new HubConfigError(`${key}File: cannot read ${ref.file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (value === '') throw new HubConfigError(`${key}File: ${ref.file} is empty`);
  }
  if (value === undefined) throw new HubConfigError(`${key}: no secret configured`);
  if (/[\r\n]/.test(value)) throw new HubConfigError(`${key}: the secret contains a line break`);
  return value;
}

/**
 * Why this exists: `dump` shows operators the effective configuration and must never show a
 * secret. The hub holds secrets only by reference, and prints them as references.
 */
export function dumpHubConfig(config: HubConfig): unknown {
  const { privateKey, ...wireguard } = config.wireguard;
  return {
    ...config,
    wireguard: {
      ...wireguard,
      ...(privateKey.env !== null ? { privateKeyEnv: privateKey.env } : {}),
      ...(privateKey.file !== null ? { privateKeyFile: privateKey.file } : {}),
    },
  };
}
