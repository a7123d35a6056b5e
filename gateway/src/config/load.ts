/**
 * The one module that reads configuration: files (YAML or JSON, layered in order) and the
 * environment (passed in, never read from `process.env` here or elsewhere). It validates
 * everything once, rejects unknown keys and contradictions with a message naming the key,
 * and returns a deep-frozen `BrokerConfig`.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { extname } from 'node:path';
import convict from 'convict';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors';
import { MAX_REPLICA, addressFromDeploymentId, parseNoProxy } from '../../../tunnel/src/index';
import { isNeverForwarded } from '../request/headers';
import { compileSurfaces } from '../request/resolve';
import { surfacesFor } from '../request/surfaces';
import { FORMATS, INTEGRATION_FLAGS, schema } from './schema';
import type { RawAuth, RawCarrier, RawConfig, RawProxyRef } from './schema';
import { readSecret } from './secrets';
import type { Env } from './secrets';
import type {
  AuthConfig,
  AuthScheme,
  BrokerConfig,
  CarrierConfig,
  DecisionServiceConfig,
  IntegrationConfig,
  PeerConfig,
  ProxyRef,
  PolicyConfig,
  RelayAuth,
  RelayConfig,
  RelayListenerConfig,
  SecretRef,
  SigningKeyConfig,
  Transport,
  TunnelConfig,
} from './types';

export interface LoadOptions {
  /** Config files, later ones override earlier ones. */
  files: readonly string[];
  /** The environment (REGO_BROKER_* overrides; also where `…Env` secrets live). */
  env: Env;
  /** Default for `policy.bundle`. */
  defaultBundle: string;
  /** This host's name, for `tunnel.replica: ordinal` (default: `os.hostname()`). */
  hostname?: () => string;
}

export interface LoadResult {
  config: BrokerConfig;
  /** Things that work but deserve attention (e.g. a literal secret in a file). */
  warnings: string[];
}

/** Integration types the shipped policies know, with built-in surfaces (request/surfaces.ts). */
export const INTEGRATION_TYPES: readonly string[] = ['github', 'gitlab', 'bitbucket', 'azure-repos', 'jira', 'artifactory', 'nexus'];
const TYPE_RE = /^[a-z][a-z0-9_-]{0,62}$/;
const SCM_FLAGS = ['allowCodeAccess', 'allowWrites', 'allowGitClone', 'allowWebhooks', 'allowedWebhookUrls', 'rulesets', 'disabledRules'];
/**
 * The flags the shipped package of each type reads: setting another one is a mistake (it would
 * change nothing). Types of the customer's own may read any flag.
 */
const FLAGS_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  github: SCM_FLAGS,
  gitlab: SCM_FLAGS,
  bitbucket: SCM_FLAGS,
  'azure-repos': SCM_FLAGS,
  jira: ['allowedProjects', 'rulesets', 'disabledRules'],
  artifactory: ['rulesets', 'disabledRules'],
  nexus: ['rulesets', 'disabledRules'],
};

function checkFlagsApply(item: Record<string, unknown>, type: string, where: string): void {
  const applies = FLAGS_BY_TYPE[type];
  if (applies === undefined) return;
  for (const key of Object.keys(INTEGRATION_FLAGS)) {
    if (item[key] !== undefined && !applies.includes(key)) {
      throw new ConfigError(`${where}.${key}: does not apply to type ${type} (its flags: ${applies.join(', ')})`);
    }
  }
}
const AUTH_SCHEMES: readonly AuthScheme[] = ['bearer', 'token', 'basic', 'header', 'passthrough'];
const INTEGRATION_KEYS = new Set(['name', 'type', 'baseUrl', 'auth', 'surfaces', 'forwardHeaders', 'rulesetMode', ...Object.keys(INTEGRATION_FLAGS)]);
const RULESET_MODES = ['union', 'intersect', 'replace'];
/** An HTTP field name (RFC 9110 §5.1 token). */
const HEADER_NAME_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const AUTH_KEYS = new Set(['scheme', 'tokenEnv', 'tokenFile', 'token', 'username', 'header']);
const PEER_KEYS = new Set(['publicKey', 'endpoint', 'allowedIps', 'persistentKeepalive', 'carrierUrl']);
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const HEADER_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Load, validate and freeze the configuration. Throws ConfigError (exit 2) on any problem. */
export function loadConfig(options: LoadOptions): LoadResult {
  convict.addFormats(FORMATS);
  convict.addParser([
    { extension: ['yml', 'yaml'], parse: (text: string): unknown => parseYaml(text) },
    { extension: 'json', parse: (text: string): unknown => JSON.parse(text) },
  ]);
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env)) if (v !== undefined && k.startsWith('REGO_BROKER_')) env[k] = v;
  let raw: RawConfig;
  try {
    const conf = convict<RawConfig>(schema(options.defaultBundle), { env, args: [] });
    for (const file of options.files) {
      checkReadable(file);
      conf.loadFile(file);
    }
    // loadFile above runs before env overrides are re-applied by convict; validate strictly.
    conf.validate({ allowed: 'strict' });
    raw = conf.getProperties();
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`invalid configuration: ${(err as Error).message}`);
  }
  const warnings: string[] = [];
  let config: BrokerConfig;
  try {
    config = parse(raw, warnings, options.env, options.hostname ?? hostname);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(namingTheFile(err.message, options.files));
    throw err;
  }
  return { config: deepFreeze(config), warnings };
}

/**
 * Prefix an error about `<key path>: …` with the file that set that key: the last file that
 * has it (later files override earlier ones; a list is replaced whole). Keys no file sets come
 * from the environment or the defaults, and the message stays as it is.
 */
function namingTheFile(message: string, files: readonly string[]): string {
  const path = (message.split(':', 1)[0] ?? '').split(/[.[\]]+/).filter((s) => s !== '' && !/^\d+$/.test(s));
  if (path.length === 0) return message;
  for (const file of [...files].reverse()) {
    let node: unknown;
    try {
      const text = readFileSync(file, 'utf8');
      node = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
    } catch {
      continue;
    }
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

function checkReadable(file: string): void {
  const ext = extname(file).toLowerCase();
  if (!['.yml', '.yaml', '.json'].includes(ext)) throw new ConfigError(`${file}: config files must end in .yaml, .yml or .json`);
  try {
    readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}

/** Turn the raw, schema-checked tree into the typed config, rejecting contradictions. */
export function parse(raw: RawConfig, warnings: string[], processEnv: Env = {}, host: () => string = hostname): BrokerConfig {
  const integrations = parseIntegrations(raw.integrations, warnings);
  const tunnel = parseTunnel(raw.tunnel, warnings, processEnv, host);
  if (
    !tunnel.enabled &&
    raw.listen.port !== 0 &&
    raw.listen.port === raw.admin.port &&
    raw.listen.host === raw.admin.host
  ) {
    throw new ConfigError('admin.port: the admin listener cannot share listen.host:listen.port');
  }
  if (raw.policy.maxBodyBytes < 1) throw new ConfigError('policy.maxBodyBytes: must be at least 1');
  if (raw.policy.maxMemoryPages < 2) throw new ConfigError('policy.maxMemoryPages: must be at least 2');
  if (raw.policy.evalTimeoutMs < 1) throw new ConfigError('policy.evalTimeoutMs: must be at least 1');
  for (const [key, value] of Object.entries({ ...raw.policy.limits, ...raw.policy.graphql })) {
    if (value < 1) throw new ConfigError(`policy: ${key} must be at least 1`);
  }
  if (raw.proxy.timeoutMs < 1) throw new ConfigError('proxy.timeoutMs: must be at least 1');
  // With a zero bound every request would be refused (or every record lost).
  if (raw.telemetry.decisionLog.bufferBytes < 1) throw new ConfigError('telemetry.decisionLog.bufferBytes: must be at least 1');
  if (raw.telemetry.decisionLog.maxPendingRecords < 1) throw new ConfigError('telemetry.decisionLog.maxPendingRecords: must be at least 1');
  return {
    listen: { ...raw.listen },
    admin: { ...raw.admin },
    tunnel,
    policy: parsePolicy(raw.policy, warnings),
    proxy: { ...raw.proxy, upstreamProxy: parseProxyRef(raw.proxy.upstreamProxy, 'proxy.upstreamProxy', processEnv, false) },
    integrations,
    relay: parseRelayListener(raw, tunnel),
    relays: parseRelays(raw.relays, integrations),
    telemetry: {
      serviceName: raw.telemetry.serviceName,
      traces: { exporter: raw.telemetry.traces.exporter as 'otlp' | 'console' | 'none', endpoint: raw.telemetry.traces.endpoint },
      decisionLog: { ...raw.telemetry.decisionLog },
      decisionService: parseDecisionService(raw.telemetry.decisionService, warnings),
      logLevel: raw.telemetry.logLevel as BrokerConfig['telemetry']['logLevel'],
    },
    shutdown: { ...raw.shutdown },
  };
}

const SIGNING_ALGORITHMS: readonly SigningKeyConfig['algorithm'][] = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'ES512', 'HS256', 'HS384', 'HS512'];
const SIGNING_KEY_KEYS = new Set(['id', 'algorithm', 'keyFile', 'keyEnv', 'key']);
const NO_SECRET: SecretRef = { env: null, file: null, literal: null };

/** The decision-log service: a URL, its token as a reference, sane bounds. */
function parseDecisionService(raw: RawConfig['telemetry']['decisionService'], warnings: string[]): DecisionServiceConfig {
  const where = 'telemetry.decisionService';
  if (raw.url !== '' && !/^https?:\/\//.test(raw.url)) throw new ConfigError(`${where}.url: must be an http:// or https:// URL`);
  const token = secretRef({ tokenEnv: raw.tokenEnv, tokenFile: raw.tokenFile }, 'token', where, warnings);
  if (raw.url === '' && token !== null) throw new ConfigError(`${where}: tokenEnv/tokenFile set without ${where}.url`);
  for (const key of ['bufferBytes', 'flushSeconds', 'timeoutSeconds'] as const) {
    if (raw[key] < 1) throw new ConfigError(`${where}.${key}: must be at least 1`);
  }
  return { url: raw.url, token: token ?? NO_SECRET, bufferBytes: raw.bufferBytes, flushSeconds: raw.flushSeconds, timeoutSeconds: raw.timeoutSeconds };
}

/** The policy section: signing keys and the bundle service turned into references. */
function parsePolicy(raw: RawConfig['policy'], warnings: string[]): PolicyConfig {
  const { signing, service, ...rest } = raw;
  if (!Array.isArray(signing.keys)) throw new ConfigError('policy.signing.keys: must be a list');
  const ids = new Set<string>();
  const keys = signing.keys.map((item: unknown, i): SigningKeyConfig => {
    const where = `policy.signing.keys[${i}]`;
    if (!isObject(item)) throw new ConfigError(`${where}: must be an object`);
    checkKeys(item, SIGNING_KEY_KEYS, where);
    const id = str(item.id, `${where}.id`, false) ?? 'default';
    if (ids.has(id)) throw new ConfigError(`${where}.id: duplicate key id ${id}`);
    ids.add(id);
    const algorithm = str(item.algorithm, `${where}.algorithm`) as SigningKeyConfig['algorithm'];
    if (!SIGNING_ALGORITHMS.includes(algorithm)) throw new ConfigError(`${where}.algorithm: must be one of ${SIGNING_ALGORITHMS.join(', ')}`);
    const key = secretRef(item, 'key', where, warnings);
    if (key === null) throw new ConfigError(`${where}: set one of keyFile or keyEnv`);
    return { id, algorithm, key };
  });
  if (signing.required === false && keys.length > 0) warnings.push('policy.signing.required is false: unsigned bundles are loaded although signing keys are configured');
  if (service.url !== '' && !/^https?:\/\//.test(service.url)) throw new ConfigError('policy.service.url: must be an http:// or https:// URL');
  if (service.url !== '' && service.pollSeconds < 1) throw new ConfigError('policy.service.pollSeconds: must be at least 1');
  const token = secretRef({ tokenEnv: service.tokenEnv, tokenFile: service.tokenFile }, 'token', 'policy.service', warnings);
  if (service.url === '' && token !== null) throw new ConfigError('policy.service: tokenEnv/tokenFile set without policy.service.url');
  return {
    ...rest,
    limits: { ...rest.limits },
    graphql: { ...rest.graphql },
    onLoadFailure: rest.onLoadFailure as PolicyConfig['onLoadFailure'],
    signing: { keys, required: signing.required ?? keys.length > 0, scope: signing.scope },
    service: { url: service.url, pollSeconds: service.pollSeconds, timeoutMs: service.timeoutMs, token: token ?? NO_SECRET },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.has(key)) throw new ConfigError(`${where}.${key}: unknown key`);
  }
}

function str(v: unknown, where: string, required = true): string | null {
  if (v === undefined || v === null || v === '') {
    if (required) throw new ConfigError(`${where}: required`);
    return null;
  }
  if (typeof v !== 'string') throw new ConfigError(`${where}: must be a string`);
  return v;
}

/** Exactly one of `<prefix>Env`, `<prefix>File` or a literal `<prefix>`. */
function secretRef(obj: Record<string, unknown>, prefix: string, where: string, warnings: string[]): SecretRef | null {
  const ref: SecretRef = {
    env: str(obj[`${prefix}Env`], `${where}.${prefix}Env`, false),
    file: str(obj[`${prefix}File`], `${where}.${prefix}File`, false),
    literal: str(obj[prefix], `${where}.${prefix}`, false),
  };
  const given = [ref.env, ref.file, ref.literal].filter((v) => v !== null).length;
  if (given > 1) throw new ConfigError(`${where}: set only one of ${prefix}Env, ${prefix}File and ${prefix}`);
  if (given === 0) return null;
  if (ref.literal !== null) warnings.push(`${where}.${prefix}: a literal secret in the configuration; prefer ${prefix}Env or ${prefix}File`);
  return ref;
}

function parseAuth(v: unknown, where: string, warnings: string[]): AuthConfig {
  if (!isObject(v)) throw new ConfigError(`${where}: required (an object with scheme)`);
  checkKeys(v, AUTH_KEYS, where);
  const raw = v as RawAuth & Record<string, unknown>;
  const scheme = str(raw.scheme, `${where}.scheme`) as AuthScheme;
  if (!AUTH_SCHEMES.includes(scheme)) throw new ConfigError(`${where}.scheme: must be one of ${AUTH_SCHEMES.join(', ')}`);
  const token = secretRef(raw, 'token', where, warnings);
  const username = str(raw.username, `${where}.username`, false);
  const header = str(raw.header, `${where}.header`, false);
  if (scheme === 'passthrough') {
    if (token) throw new ConfigError(`${where}: scheme passthrough forwards the caller's credential; remove tokenEnv/tokenFile/token`);
  } else if (!token) {
    throw new ConfigError(`${where}: scheme ${scheme} needs one of tokenEnv, tokenFile or token`);
  }
  if (scheme === 'basic' && username === null) throw new ConfigError(`${where}.username: required for scheme basic`);
  if (scheme !== 'basic' && username !== null) throw new ConfigError(`${where}.username: only used with scheme basic`);
  if (scheme === 'header') {
    if (header === null) throw new ConfigError(`${where}.header: required for scheme header`);
    if (!HEADER_RE.test(header)) throw new ConfigError(`${where}.header: not a valid header name`);
  } else if (header !== null) {
    throw new ConfigError(`${where}.header: only used with scheme header`);
  }
  return {
    scheme,
    token: token ?? { env: null, file: null, literal: null },
    username,
    header: header === null ? null : header.toLowerCase(),
  };
}

function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function parseFlags(v: Record<string, unknown>, where: string): Record<string, boolean | string[]> {
  const flags: Record<string, boolean | string[]> = {};
  for (const [key, kind] of Object.entries(INTEGRATION_FLAGS)) {
    const value = v[key];
    if (value === undefined) {
      if (kind === 'boolean') flags[snake(key)] = false;
      continue;
    }
    if (kind === 'boolean' && typeof value !== 'boolean') throw new ConfigError(`${where}.${key}: must be true or false`);
    if (kind === 'string[]' && !(Array.isArray(value) && value.every((s) => typeof s === 'string'))) {
      throw new ConfigError(`${where}.${key}: must be a list of strings`);
    }
    flags[snake(key)] = kind === 'boolean' ? (value as boolean) : [...(value as string[])];
  }
  return flags;
}

/**
 * rulesetMode and disabledRules go with rulesets; the policy sees the mode as
 * `flags.ruleset_mode`, a one-element list (flags are booleans or lists).
 */
function rulesetFlags(flags: Record<string, boolean | string[]>, mode: unknown, where: string): Record<string, boolean | string[]> {
  const uses = Array.isArray(flags.rulesets) && flags.rulesets.length > 0;
  if (mode !== undefined) {
    if (typeof mode !== 'string' || !RULESET_MODES.includes(mode)) throw new ConfigError(`${where}.rulesetMode: one of ${RULESET_MODES.join(', ')}`);
    if (!uses) throw new ConfigError(`${where}.rulesetMode: only with rulesets`);
    flags.ruleset_mode = [mode];
  }
  if (flags.disabled_rules !== undefined && !uses) throw new ConfigError(`${where}.disabledRules: only with rulesets`);
  return flags;
}

/** Extra headers to forward: valid field names, lower-cased, never a credential or hop-by-hop header. */
function parseForwardHeaders(v: unknown, where: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((h) => typeof h === 'string' && HEADER_NAME_RE.test(h))) {
    throw new ConfigError(`${where}: must be a list of header names`);
  }
  const names = (v as string[]).map((h) => h.toLowerCase());
  const refused = names.find((h) => isNeverForwarded(h));
  if (refused !== undefined) throw new ConfigError(`${where}: ${refused} is never forwarded (a credential, hop-by-hop or broker-owned header)`);
  return names;
}

function parseIntegrations(v: unknown, warnings: string[]): IntegrationConfig[] {
  if (!Array.isArray(v)) throw new ConfigError('integrations: must be a list');
  const names = new Set<string>();
  const list = v.map((item: unknown, i): IntegrationConfig => {
    const where = `integrations[${i}]`;
    if (!isObject(item)) throw new ConfigError(`${where}: must be an object`);
    checkKeys(item, INTEGRATION_KEYS, where);
    const name = str(item.name, `${where}.name`) as string;
    if (!NAME_RE.test(name)) throw new ConfigError(`${where}.name: letters, digits, - and _ only`);
    if (names.has(name)) throw new ConfigError(`${where}.name: duplicate integration name ${name}`);
    names.add(name);
    const type = str(item.type, `${where}.type`) as string;
    // Any type the bundle has a package for (data.integrations.<type>, checked when the bundle
    // is loaded); types without built-in surfaces declare theirs.
    if (!TYPE_RE.test(type)) throw new ConfigError(`${where}.type: lower-case letters, digits, - and _ only (the package data.integrations.<type>)`);
    if (!INTEGRATION_TYPES.includes(type) && item.surfaces === undefined) {
      throw new ConfigError(`${where}.type: ${type} is not a built-in type: declare its surfaces in ${where}.surfaces (e.g. {api: <base URL>}); the bundle must have data.integrations.${type}`);
    }
    checkFlagsApply(item, type, where);
    const baseUrl = str(item.baseUrl, `${where}.baseUrl`) as string;
    if (!/^https?:\/\//.test(baseUrl)) throw new ConfigError(`${where}.baseUrl: must be an http:// or https:// URL`);
    const overrides = item.surfaces ?? {};
    if (!isObject(overrides) || !Object.values(overrides).every((s) => typeof s === 'string')) {
      throw new ConfigError(`${where}.surfaces: must map surface names to base URLs`);
    }
    return {
      name,
      type,
      baseUrl,
      auth: parseAuth(item.auth, `${where}.auth`, warnings),
      surfaces: surfacesFor(type, baseUrl, overrides as Record<string, string>),
      flags: rulesetFlags(parseFlags(item, where), item.rulesetMode, where),
      forwardHeaders: parseForwardHeaders(item.forwardHeaders, `${where}.forwardHeaders`),
    };
  });
  try {
    compileSurfaces(list);
  } catch (err) {
    throw new ConfigError(`integrations: ${(err as Error).message}`);
  }
  return list;
}

function parsePeers(v: unknown): PeerConfig[] {
  if (!Array.isArray(v)) throw new ConfigError('tunnel.peers: must be a list');
  return v.map((item: unknown, i): PeerConfig => {
    const where = `tunnel.peers[${i}]`;
    if (!isObject(item)) throw new ConfigError(`${where}: must be an object`);
    checkKeys(item, PEER_KEYS, where);
    const allowed = item.allowedIps;
    const allowedIps = typeof allowed === 'string' ? allowed.split(',').map((s) => s.trim()) : allowed;
    if (!Array.isArray(allowedIps) || allowedIps.length === 0 || !allowedIps.every((s) => typeof s === 'string' && s !== '')) {
      throw new ConfigError(`${where}.allowedIps: a CIDR or a list of CIDRs is required`);
    }
    const keepalive = item.persistentKeepalive ?? 20;
    if (typeof keepalive !== 'number' || !Number.isInteger(keepalive) || keepalive < 0 || keepalive > 65535) {
      throw new ConfigError(`${where}.persistentKeepalive: seconds, 0 to 65535`);
    }
    return {
      publicKey: str(item.publicKey, `${where}.publicKey`) as string,
      endpoint: str(item.endpoint, `${where}.endpoint`) as string,
      allowedIps: allowedIps as string[],
      persistentKeepalive: keepalive,
      carrierUrl: carrierUrl(item.carrierUrl, `${where}.carrierUrl`),
    };
  });
}

function carrierUrl(v: unknown, where: string): string {
  const url = str(v, where, false) ?? '';
  if (url === '') return '';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`${where}: not a URL`);
  }
  if (u.protocol !== 'wss:') throw new ConfigError(`${where}: must be a wss:// URL`);
  if (u.username !== '' || u.password !== '') throw new ConfigError(`${where}: must not hold credentials`);
  return url;
}

/** A variable of the process environment, upper-case name first (`HTTPS_PROXY`, then `https_proxy`). */
function envVar(env: Env, name: string): { name: string; value: string } | null {
  for (const n of [name, name.toLowerCase()]) {
    const v = env[n];
    if (v !== undefined && v !== '') return { name: n, value: v };
  }
  return null;
}

/**
 * An HTTP proxy setting: `url` (no credentials), `username`, and the password by reference
 * (`passwordEnv`/`passwordFile`). With `fromEnv`, an empty `url` falls back to `HTTPS_PROXY`,
 * whose user-info is then the credential (kept as a reference to that variable, never copied).
 * `noProxy` falls back to `NO_PROXY`.
 */
function parseProxyRef(raw: RawProxyRef, where: string, env: Env, fromEnv: boolean): ProxyRef | null {
  const noProxyVar = envVar(env, 'NO_PROXY');
  const noProxy = parseNoProxy(raw.noProxy !== '' ? raw.noProxy : (noProxyVar?.value ?? ''));
  let url = raw.url;
  let source: { name: string } | null = null;
  if (url === '' && fromEnv) {
    const v = envVar(env, 'HTTPS_PROXY');
    if (v === null) return null;
    url = v.value;
    source = v;
  }
  if (url === '') return null;
  const named = source === null ? `${where}.url` : `the ${source.name} environment variable`;
  let u: URL;
  try {
    u = new URL(url.includes('://') ? url : `http://${url}`);
  } catch {
    throw new ConfigError(`${named}: not a URL`);
  }
  if (u.protocol !== 'http:') throw new ConfigError(`${named}: must be an http:// proxy URL (the proxy is asked to CONNECT)`);
  if (u.pathname !== '/' || u.search !== '' || u.hash !== '') throw new ConfigError(`${named}: must be http://host:port only`);
  const inUrl = u.username !== '' || u.password !== '';
  if (inUrl && source === null) throw new ConfigError(`${where}.url: must not hold credentials; use ${where}.username and ${where}.passwordEnv or ${where}.passwordFile`);
  if (raw.passwordEnv !== '' && raw.passwordFile !== '') throw new ConfigError(`${where}: set only one of passwordEnv and passwordFile`);
  const hasRef = raw.passwordEnv !== '' || raw.passwordFile !== '';
  let username = raw.username !== '' ? raw.username : null;
  let password: SecretRef | null = hasRef ? { env: raw.passwordEnv || null, file: raw.passwordFile || null, literal: null } : null;
  if (inUrl && source !== null && !hasRef && username === null) {
    username = decodeURIComponent(u.username);
    password = { env: source.name, file: null, literal: null };
  }
  if (password !== null && username === null) throw new ConfigError(`${where}.username: required with a proxy password`);
  return {
    url: `http://${u.host}`,
    username,
    password,
    passwordInUrl: inUrl && source !== null && !hasRef && password?.env === source.name,
    noProxy,
  };
}

/**
 * The password of a proxy setting, read from its reference (for `HTTPS_PROXY`, the user-info
 * of that variable's URL), or null when it has none. Throws ConfigError naming the key, never
 * the value.
 */
export function readProxyPassword(proxy: ProxyRef, where: string, env: Env): string | null {
  if (proxy.password === null) return null;
  const value = readSecret(proxy.password, `${where}.password`, env);
  if (!proxy.passwordInUrl) return value;
  try {
    return decodeURIComponent(new URL(value.includes('://') ? value : `http://${value}`).password);
  } catch {
    throw new ConfigError(`${where}: the password in ${proxy.password.env ?? 'the proxy URL'} is not readable`);
  }
}

/**
 * `tunnel.replica`: an integer in 0..65534, or `ordinal`, the number after the last `-` of the
 * host name's first label (pod `rego-broker-2` of a StatefulSet is replica 2).
 */
export function parseReplica(value: number | string, host: () => string): number {
  const range = `an integer from 0 to ${MAX_REPLICA} or "ordinal"`;
  if (value === 'ordinal') {
    const name = host();
    const m = /-(\d{1,5})$/.exec(name.split('.', 1)[0] ?? '');
    const n = m === null ? NaN : Number(m[1]);
    if (!(n <= MAX_REPLICA)) {
      throw new ConfigError(`tunnel.replica: "ordinal" needs a host name ending in -<0..${MAX_REPLICA}> (a StatefulSet pod name), but the host name is "${name.slice(0, 253)}"; set the index instead`);
    }
    return n;
  }
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_REPLICA) {
    throw new ConfigError(`tunnel.replica: must be ${range}, got ${JSON.stringify(value).slice(0, 64)}`);
  }
  return value;
}

function parseTunnel(raw: RawConfig['tunnel'], warnings: string[], env: Env, host: () => string): TunnelConfig {
  const peers = parsePeers(raw.peers);
  const keyRef = secretRef(raw, 'privateKey', 'tunnel', warnings);
  const replica = parseReplica(raw.replica, host);
  let localAddress = raw.localAddress;
  if (raw.deploymentId !== null) {
    let derived: string;
    try {
      derived = addressFromDeploymentId(raw.deploymentId, replica);
    } catch (err) {
      throw new ConfigError(`tunnel.deploymentId: ${(err as Error).message}`);
    }
    if (localAddress !== '' && localAddress !== derived) {
      throw new ConfigError(`tunnel.localAddress: contradicts tunnel.deploymentId and tunnel.replica (which give ${derived}); set only one`);
    }
    localAddress = derived;
  }
  if (raw.enabled) {
    if (!keyRef) throw new ConfigError('tunnel: set one of privateKeyFile, privateKeyEnv or privateKey');
    if (localAddress === '') throw new ConfigError('tunnel.localAddress: set it or tunnel.deploymentId');
    if (peers.length === 0) throw new ConfigError('tunnel.peers: at least one peer is required');
    if (raw.heartbeat.url !== '' && !/^https?:\/\//.test(raw.heartbeat.url)) {
      throw new ConfigError('tunnel.heartbeat.url: must be an http:// or https:// URL');
    }
    if (raw.heartbeat.requiredAtStart && raw.heartbeat.url === '') {
      throw new ConfigError('tunnel.heartbeat.requiredAtStart: needs tunnel.heartbeat.url');
    }
    if (raw.heartbeat.intervalSeconds < 1) throw new ConfigError('tunnel.heartbeat.intervalSeconds: must be at least 1');
    if (raw.mtu < 1280 || raw.mtu > 1500) throw new ConfigError('tunnel.mtu: must be between 1280 and 1500');
  }
  return {
    enabled: raw.enabled,
    interface: raw.interface,
    privateKey: keyRef ?? { env: null, file: null, literal: null },
    localAddress,
    deploymentId: raw.deploymentId,
    replica,
    mtu: raw.mtu,
    peers,
    heartbeat: { ...raw.heartbeat },
    wireguardGo: raw.wireguardGo,
    wg: raw.wg,
    transport: raw.transport as Transport,
    carrier: parseCarrier(raw.carrier, raw.enabled && raw.transport !== 'udp'),
    // HTTPS_PROXY is only consulted when the carrier may be used: a UDP tunnel never needs it.
    proxy: parseProxyRef(raw.proxy, 'tunnel.proxy', env, raw.enabled && raw.transport !== 'udp'),
  };
}

function parseCarrier(raw: RawCarrier, needed: boolean): CarrierConfig {
  const pins = raw.pinSha256;
  if (!Array.isArray(pins) || !pins.every((p) => typeof p === 'string' && /^[0-9A-Fa-f]{64}$/.test(p.replace(/:/g, '')))) {
    throw new ConfigError('tunnel.carrier.pinSha256: a list of SHA-256 fingerprints (64 hex digits, colons allowed)');
  }
  if (needed && pins.length === 0 && raw.caFile === '') {
    throw new ConfigError('tunnel.carrier: set pinSha256 or caFile for transport tcp or auto (the hub is never trusted on first use)');
  }
  for (const key of ['switchAfterSeconds', 'probeIntervalSeconds', 'connectTimeoutSeconds'] as const) {
    if (raw[key] < 1) throw new ConfigError(`tunnel.carrier.${key}: must be at least 1`);
  }
  return { ...raw, pinSha256: [...(pins as string[])] };
}

const RELAY_KEYS = new Set(['name', 'integration', 'destination', 'secretEnv', 'secretFile', 'username', 'header', 'minimize', 'removeFields', 'flags']);
/** The header each SCM signs or authenticates its webhooks with (Azure DevOps: basic or a chosen header). */
const RELAY_SIGNATURE: Readonly<Record<string, RelayAuth>> = {
  github: { kind: 'hmac-sha256', header: 'x-hub-signature-256' },
  bitbucket: { kind: 'hmac-sha256', header: 'x-hub-signature' },
  gitlab: { kind: 'token', header: 'x-gitlab-token' },
};
const FLAG_NAME_RE = /^[a-z][A-Za-z0-9]{0,62}$/;
const FIELD_PATH_RE = /^(\*|[^.*]+)(\.(\*|[^.*]+))*$/;

/** A secret that must be a reference (`…Env` or `…File`): relay secrets are never literal. */
function secretByReference(obj: Record<string, unknown>, prefix: string, where: string): SecretRef | null {
  const env = str(obj[`${prefix}Env`], `${where}.${prefix}Env`, false);
  const file = str(obj[`${prefix}File`], `${where}.${prefix}File`, false);
  if (env !== null && file !== null) throw new ConfigError(`${where}: set only one of ${prefix}Env and ${prefix}File`);
  return env === null && file === null ? null : { env, file, literal: null };
}

function parseRelayListener(raw: RawConfig, tunnel: TunnelConfig): RelayListenerConfig {
  const r = raw.relay;
  const signingKey = secretByReference(r, 'signingKey', 'relay');
  if (signingKey === null && Array.isArray(raw.relays) && raw.relays.length > 0) {
    throw new ConfigError('relay: set signingKeyEnv or signingKeyFile (the key relayed webhooks are signed with, shared with the SaaS)');
  }
  if (tunnel.enabled && r.host === tunnel.localAddress) throw new ConfigError('relay.host: the relay listener is for the internal network, never the tunnel address');
  // A wildcard address would also listen on the tunnel interface, open to the SaaS side.
  if (tunnel.enabled && ['0.0.0.0', '::', '[::]', ''].includes(r.host)) throw new ConfigError('relay.host: with a tunnel, bind the relay listener to an internal address, not a wildcard (it would listen on the tunnel too)');
  if (r.port !== 0 && r.host === raw.admin.host && r.port === raw.admin.port) throw new ConfigError('relay.port: the relay listener cannot share admin.host:admin.port');
  if (r.port !== 0 && r.host === raw.listen.host && r.port === raw.listen.port) throw new ConfigError('relay.port: the relay listener cannot share listen.host:listen.port');
  if (r.maxBodyBytes < 1) throw new ConfigError('relay.maxBodyBytes: must be at least 1');
  if (r.queue.maxBytes < 1 || r.queue.maxCount < 1) throw new ConfigError('relay.queue: maxBytes and maxCount must be at least 1');
  if (r.delivery.maxAttempts < 1) throw new ConfigError('relay.delivery.maxAttempts: must be at least 1');
  if (r.delivery.timeoutMs < 1) throw new ConfigError('relay.delivery.timeoutMs: must be at least 1');
  if (r.queue.dir === '') throw new ConfigError('relay.queue.dir: required');
  return {
    host: r.host,
    port: r.port,
    signingKey: signingKey ?? { env: null, file: null, literal: null },
    maxBodyBytes: r.maxBodyBytes,
    queue: { ...r.queue },
    delivery: { ...r.delivery },
  };
}

function parseRelayFlags(v: unknown, where: string): Record<string, boolean | string[]> {
  if (v === undefined) return {};
  if (!isObject(v)) throw new ConfigError(`${where}: must map flag names to true/false or lists of strings`);
  const flags: Record<string, boolean | string[]> = {};
  for (const [key, value] of Object.entries(v)) {
    if (!FLAG_NAME_RE.test(key)) throw new ConfigError(`${where}.${key.slice(0, 64)}: flag names are camelCase letters and digits`);
    if (typeof value === 'boolean') flags[snake(key)] = value;
    else if (Array.isArray(value) && value.every((s) => typeof s === 'string')) flags[snake(key)] = [...value];
    else throw new ConfigError(`${where}.${key}: must be true, false or a list of strings`);
  }
  return flags;
}

function parseRelayAuth(item: Record<string, unknown>, type: string, where: string): RelayAuth {
  const username = str(item.username, `${where}.username`, false);
  const header = str(item.header, `${where}.header`, false);
  if (type === 'azure-repos') {
    if ((username === null) === (header === null)) throw new ConfigError(`${where}: azure-repos relays set one of username (basic authentication) or header (a shared header)`);
    if (header !== null) {
      if (!HEADER_RE.test(header)) throw new ConfigError(`${where}.header: not a valid header name`);
      return { kind: 'token', header: header.toLowerCase() };
    }
    return { kind: 'basic', username: username as string };
  }
  const fixed = RELAY_SIGNATURE[type];
  if (fixed === undefined) throw new ConfigError(`${where}.integration: a ${type} integration sends no webhooks the relay can verify (github, gitlab, bitbucket, azure-repos)`);
  if (username !== null || header !== null) throw new ConfigError(`${where}: username and header are only for azure-repos relays`);
  return fixed;
}

function parseRelays(v: unknown, integrations: readonly IntegrationConfig[]): RelayConfig[] {
  if (!Array.isArray(v)) throw new ConfigError('relays: must be a list');
  const names = new Set<string>();
  return v.map((item: unknown, i): RelayConfig => {
    const where = `relays[${i}]`;
    if (!isObject(item)) throw new ConfigError(`${where}: must be an object`);
    checkKeys(item, RELAY_KEYS, where);
    const name = str(item.name, `${where}.name`) as string;
    if (!NAME_RE.test(name)) throw new ConfigError(`${where}.name: letters, digits, - and _ only`);
    if (names.has(name)) throw new ConfigError(`${where}.name: duplicate relay name ${name}`);
    names.add(name);
    const integrationName = str(item.integration, `${where}.integration`) as string;
    const integration = integrations.find((x) => x.name === integrationName);
    if (integration === undefined) throw new ConfigError(`${where}.integration: no integration named ${integrationName}`);
    const destination = str(item.destination, `${where}.destination`) as string;
    let url: URL;
    try {
      url = new URL(destination);
    } catch {
      throw new ConfigError(`${where}.destination: not a URL`);
    }
    if (!['http:', 'https:'].includes(url.protocol) || url.username !== '' || url.password !== '' || url.hash !== '') {
      throw new ConfigError(`${where}.destination: an http:// or https:// URL without userinfo or fragment`);
    }
    const secret = secretByReference(item, 'secret', where);
    if (secret === null) throw new ConfigError(`${where}: set secretEnv or secretFile (the webhook secret the SCM signs with); relay secrets are never literal`);
    const minimize = item.minimize ?? true;
    if (typeof minimize !== 'boolean') throw new ConfigError(`${where}.minimize: must be true or false`);
    const removeFields = item.removeFields ?? [];
    if (!Array.isArray(removeFields) || !removeFields.every((f) => typeof f === 'string' && FIELD_PATH_RE.test(f))) {
      throw new ConfigError(`${where}.removeFields: must be a list of dot paths (commits.*.message)`);
    }
    return {
      name,
      integration: integration.name,
      type: integration.type,
      destination: url.href,
      secret,
      auth: parseRelayAuth(item, integration.type, where),
      minimize,
      removeFields: [...(removeFields as string[])],
      flags: parseRelayFlags(item.flags, `${where}.flags`),
    };
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
