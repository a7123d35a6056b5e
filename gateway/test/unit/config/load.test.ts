/** Configuration: layering, environment overrides, unknown keys and contradictions (exit 2, key named). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../../src/config/load';
import { ConfigError } from '../../../src/errors';

const dir = mkdtempSync(join(tmpdir(), 'rego-broker-load-'));
let n = 0;
function file(content: unknown, ext = 'yaml'): string {
  n += 1;
  const f = join(dir, `c${n}.${ext}`);
  writeFileSync(f, ext === 'json' ? JSON.stringify(content) : stringify(content));
  return f;
}
const ghe = { name: 'ghe', type: 'github', baseUrl: 'https://ghe.example.com/api/v3', auth: { scheme: 'bearer', tokenEnv: 'T' } };
const load = (files: string[], env: Record<string, string> = {}) => loadConfig({ files, env, defaultBundle: '/default/bundle.tar.gz' });

describe('loadConfig', () => {
  it('applies defaults and derives surfaces and flags', () => {
    const { config } = load([file({ integrations: [ghe] })]);
    expect(config.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.policy.bundle).toBe('/default/bundle.tar.gz');
    expect(config.integrations[0]?.surfaces).toMatchObject({ api: 'https://ghe.example.com/api/v3', graphql: 'https://ghe.example.com/api/graphql' });
    expect(config.integrations[0]?.flags).toMatchObject({ allow_code_access: false });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.integrations[0]?.auth)).toBe(true);
  });

  it('layers files in order and lets the environment override them', () => {
    const a = file({ listen: { port: 1000 }, policy: { dryRun: true }, integrations: [ghe] });
    const b = file({ listen: { port: 2000 } }, 'json');
    const { config } = load([a, b], { REGO_BROKER_POLICY_MAX_BODY_BYTES: '42', REGO_BROKER_LISTEN_HOST: '0.0.0.0' });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 2000 });
    expect(config.policy).toMatchObject({ dryRun: true, maxBodyBytes: 42 });
  });

  it('takes integrations as JSON from the environment', () => {
    const { config } = load([file({})], { REGO_BROKER_INTEGRATIONS: JSON.stringify([ghe]) });
    expect(config.integrations.map((i) => i.name)).toEqual(['ghe']);
  });

  it('warns about a literal secret', () => {
    const { warnings } = load([file({ integrations: [{ ...ghe, auth: { scheme: 'bearer', token: 'x' } }] })]);
    expect(warnings.join()).toContain('integrations[0].auth.token');
  });

  it('derives the tunnel address from the deployment id', () => {
    const { config } = load([file({ tunnel: { deploymentId: 8849 } })]);
    expect(config.tunnel.localAddress).toBe('fdf0:59dc:33cf:9be8:0:2291:0:1');
  });

  const tunnelOn = { enabled: true, privateKeyEnv: 'K', deploymentId: 1, peers: [{ publicKey: 'p', endpoint: 'hub:51820', allowedIps: 'fd00::1/128' }] };

  it.each([
    ['an unknown top-level key', { listn: {} }, 'listn'],
    ['an unknown nested key', { policy: { dryrun: true } }, 'policy.dryrun'],
    ['an unknown integration key', { integrations: [{ ...ghe, allowCode: true }] }, 'integrations[0].allowCode'],
    ['an unknown auth key', { integrations: [{ ...ghe, auth: { scheme: 'bearer', tokenEnv: 'T', tokn: 'x' } }] }, 'integrations[0].auth.tokn'],
    ['a wrong type', { listen: { port: 'eighty' } }, 'listen.port'],
    ['an unknown integration type', { integrations: [{ ...ghe, type: 'gitea' }] }, 'integrations[0].type'],
    ['a duplicate integration name', { integrations: [ghe, { ...ghe, baseUrl: 'https://other.example.com/api/v3' }] }, 'integrations[1].name'],
    ['a missing base URL', { integrations: [{ ...ghe, baseUrl: undefined }] }, 'integrations[0].baseUrl'],
    ['a non-http base URL', { integrations: [{ ...ghe, baseUrl: 'ftp://x' }] }, 'integrations[0].baseUrl'],
    ['two token sources', { integrations: [{ ...ghe, auth: { scheme: 'bearer', tokenEnv: 'T', tokenFile: '/t' } }] }, 'integrations[0].auth'],
    ['no token source', { integrations: [{ ...ghe, auth: { scheme: 'token' } }] }, 'integrations[0].auth'],
    ['an unknown scheme', { integrations: [{ ...ghe, auth: { scheme: 'digest', tokenEnv: 'T' } }] }, 'integrations[0].auth.scheme'],
    ['basic without a username', { integrations: [{ ...ghe, auth: { scheme: 'basic', tokenEnv: 'T' } }] }, 'integrations[0].auth.username'],
    ['header without a header name', { integrations: [{ ...ghe, auth: { scheme: 'header', tokenEnv: 'T' } }] }, 'integrations[0].auth.header'],
    ['passthrough with a token', { integrations: [{ ...ghe, auth: { scheme: 'passthrough', tokenEnv: 'T' } }] }, 'integrations[0].auth'],
    ['a flag of the wrong type', { integrations: [{ ...ghe, allowCodeAccess: 'yes' }] }, 'integrations[0].allowCodeAccess'],
    ['two integrations on the same base', { integrations: [ghe, { ...ghe, name: 'ghe2' }] }, 'integrations'],
    ['admin on the listener port', { listen: { port: 9000 }, admin: { port: 9000 } }, 'admin.port'],
    ['a tunnel without peers', { tunnel: { ...tunnelOn, peers: [] } }, 'tunnel.peers'],
    ['a tunnel without a key', { tunnel: { ...tunnelOn, privateKeyEnv: '' } }, 'tunnel'],
    ['a tunnel without an address', { tunnel: { ...tunnelOn, deploymentId: null } }, 'tunnel.localAddress'],
    ['an address contradicting the deployment id', { tunnel: { ...tunnelOn, localAddress: 'fd00::9' } }, 'tunnel.localAddress'],
    ['a deployment id out of range', { tunnel: { ...tunnelOn, deploymentId: 70000 } }, 'tunnel.deploymentId'],
    ['a peer with an unknown key', { tunnel: { ...tunnelOn, peers: [{ ...tunnelOn.peers[0], keepalive: 1 }] } }, 'tunnel.peers[0].keepalive'],
    ['a required heartbeat without a URL', { tunnel: { ...tunnelOn, heartbeat: { requiredAtStart: true } } }, 'tunnel.heartbeat.requiredAtStart'],
  ])('rejects %s, naming %s', (_name, content, key) => {
    let error: unknown;
    try {
      load([file(content)]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).exitCode).toBe(2);
    expect((error as Error).message).toContain(key);
  });

  it('rejects a missing file and an unknown extension', () => {
    expect(() => load([join(dir, 'nope.yaml')])).toThrow(ConfigError);
    expect(() => load([file({}, 'toml')])).toThrow(/\.yaml/);
  });
});
